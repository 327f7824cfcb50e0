"""The dashboard as a Starlette app: the one-time login, the session cookie, and each page
computed inside one unit of work for a logged-in person.

No page without a valid session; the person's grants are read again on every request and every
query is limited to their groups (`Visit.viewer`). Pages carry no script, and a strict security
policy says so to the browser.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from bot.base.clock import utc_now
from bot.base.settings import Settings
from bot.base.texts import Texts
from bot.domain.web_login import (
    LOGIN_PATH,
    SESSION_TTL,
    link_valid,
    log_in,
    log_out,
    session_user,
)
from bot.storage.database import Database
from bot.web.broadcasts import broadcasts_page
from bot.web.calendar import activities_page
from bot.web.groups import group_page, groups_page
from bot.web.limits import AttemptLimit
from bot.web.map import map_page
from bot.web.reports import download, report_page, reports_page
from bot.web.summary import summary_page
from bot.web.visit import Later, Page, Refused, Viewer, Visit, viewer
from content.knowledge import Knowledge

COOKIE = "posukk_sesi"
MAX_TOKEN_LENGTH = 100
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self';"
        " base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
NAV = (
    ("/", "summary", "web.nav_summary"),
    ("/laporan", "reports", "web.nav_reports"),
    ("/grup", "groups", "web.nav_groups"),
    ("/kegiatan", "activities", "web.nav_activities"),
    ("/siaran", "broadcasts", "web.nav_broadcasts"),
    ("/peta", "map", "web.nav_map"),
)
"""The menu of every page: path, name, text key."""

Handler = Callable[[Visit], Awaitable[Page | Response | Later]]


@dataclass(frozen=True)
class Dashboard:
    database: Database
    texts: Texts
    settings: Settings
    knowledge: Knowledge
    clock: Callable[[], dt.datetime]
    logins: AttemptLimit
    templates: Environment

    def message(
        self, status: int, key: str, who: Viewer | None = None, *, form: bool = False
    ) -> HTMLResponse:
        """A page that only says something: a refusal, an error, "logged out" (with the menu
        for someone logged in); with `form`, the login link's button."""
        language = who.language if who else self.settings.default_language
        template = self.templates.get_template("message.html")
        html = template.render(
            t=self._t(language),
            language=language,
            viewer=who,
            nav=NAV if who else (),
            current="",
            key=key,
            form=form,
        )
        return HTMLResponse(html, status_code=status)

    def render(self, visit: Visit, page: Page, current: str) -> HTMLResponse:
        language = visit.viewer.language
        template = self.templates.get_template(page.template)
        html = template.render(
            t=self._t(language),
            language=language,
            viewer=visit.viewer,
            nav=NAV,
            current=current,
            **page.context,
        )
        return HTMLResponse(html)

    def _t(self, language: str) -> Callable[..., str]:
        def t(key: str, **params: object) -> str:
            return self.texts.get(language, key, **params)

        return t

    def page(
        self, handler: Handler, current: str, *, writes: bool = False
    ) -> Callable[[Request], Awaitable[Response]]:
        """An endpoint that runs `handler` for a logged-in person, or refuses. A page only reads,
        in a read-only transaction that holds up nobody writing in (a regency's summary reads
        hundreds of groups' months); a handler that `writes` (an audited download) gets a unit
        of work."""
        transaction = self.database.unit_of_work if writes else self.database.reading

        async def endpoint(request: Request) -> Response:
            session = request.cookies.get(COOKIE, "")
            if not session or len(session) > MAX_TOKEN_LENGTH:
                return self.message(401, "web.need_login")
            now = self.clock()
            async with transaction() as uow:
                user_id = await session_user(uow, session, now)
                who = await viewer(uow, user_id) if user_id is not None else None
                if who is None:
                    return self.message(401, "web.need_login")
                visit = Visit(request, uow, who, self.texts, self.settings, self.knowledge, now)
                try:
                    result = await handler(visit)
                except Refused as refused:
                    return self.message(refused.status, refused.key, who)
            if isinstance(result, Page):
                return self.render(visit, result, current)
            if isinstance(result, Response):
                return result
            return await result()

        return endpoint

    async def login(self, request: Request) -> Response:
        """`/masuk/<token>`: GET shows the "Masuk" button of a valid link (and uses nothing);
        POST uses the link and starts a session. A used, expired or unknown link is refused."""
        address = request.client.host if request.client else ""
        if not self.logins.allow(address):
            return self.message(429, "web.too_many")
        token = request.path_params["token"]
        if len(token) > MAX_TOKEN_LENGTH:
            return self.message(403, "web.link_refused")
        async with self.database.unit_of_work() as uow:
            if request.method == "POST":
                done = await log_in(uow, token, self.clock())
            elif await link_valid(uow, token, self.clock()):
                return self.message(200, "web.login_prompt", form=True)
            else:
                done = None
        if done is None:
            return self.message(403, "web.link_refused")
        response = RedirectResponse("/", status_code=303)
        response.set_cookie(
            COOKIE,
            done.session,
            max_age=int(SESSION_TTL.total_seconds()),
            path="/",
            httponly=True,
            samesite="lax",
            secure=self.settings.web_address.startswith("https://")
            or request.url.scheme == "https",
        )
        return response

    async def logout(self, request: Request) -> Response:
        session = request.cookies.get(COOKIE, "")
        if session and len(session) <= MAX_TOKEN_LENGTH:
            async with self.database.unit_of_work() as uow:
                await log_out(uow, session)
        response = self.message(200, "web.logged_out")
        response.delete_cookie(COOKIE, path="/")
        return response


class _SecurityHeaders(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        response = await call_next(request)
        response.headers.update(SECURITY_HEADERS)
        if not request.url.path.startswith("/static/"):
            response.headers["Cache-Control"] = "no-store"
        return response


def dashboard_app(
    database: Database,
    texts: Texts,
    settings: Settings,
    knowledge: Knowledge,
    clock: Callable[[], dt.datetime] = utc_now,
    logins: AttemptLimit | None = None,
) -> Starlette:
    templates = Environment(
        loader=PackageLoader("bot.web", "templates"),
        autoescape=select_autoescape(default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    web = Dashboard(
        database, texts, settings, knowledge, clock, logins or AttemptLimit(), templates
    )

    async def not_found(request: Request, exc: Exception) -> Response:
        return web.message(404, "web.not_found")

    routes = [
        Route(LOGIN_PATH + "{token}", web.login, methods=["GET", "POST"]),
        Route("/keluar", web.logout, methods=["POST"]),
        Route("/", web.page(summary_page, "summary")),
        Route("/laporan", web.page(reports_page, "reports")),
        Route("/laporan/{report:int}", web.page(report_page, "reports")),
        Route("/laporan/unduh.{format}", web.page(download, "reports", writes=True)),
        Route("/grup", web.page(groups_page, "groups")),
        Route("/grup/{group:int}", web.page(group_page, "groups")),
        Route("/kegiatan", web.page(activities_page, "activities")),
        Route("/siaran", web.page(broadcasts_page, "broadcasts")),
        Route("/peta", web.page(map_page, "map")),
        Mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static"),
    ]
    return Starlette(
        routes=routes,
        middleware=[Middleware(_SecurityHeaders)],
        exception_handlers={404: not_found},
    )
