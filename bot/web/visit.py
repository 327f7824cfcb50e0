"""Who is looking, and what they may see: every page is computed inside one `Visit`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from bot.base.settings import Settings
from bot.base.texts import Texts
from bot.domain.access import Action, allowed, groups_in_scope, main_role
from bot.storage.database import UnitOfWork
from bot.storage.records import Grant, Group, Role, User
from content.knowledge import Knowledge


class Refused(Exception):
    """The page is not for this person (`web.forbidden`) or does not exist (`web.not_found`)."""

    def __init__(self, key: str, status: int) -> None:
        super().__init__(key)
        self.key = key
        self.status = status


FORBIDDEN = Refused("web.forbidden", 403)
NOT_FOUND = Refused("web.not_found", 404)


@dataclass(frozen=True)
class Viewer:
    """A logged-in kader, officer or admin, and the groups their dashboard covers."""

    user: User
    grants: Sequence[Grant]
    groups: Sequence[Group]

    @property
    def language(self) -> str:
        return self.user.language

    @property
    def role(self) -> Role:
        return main_role(self.grants)

    def group(self, group_id: int) -> Group:
        """One group of the scope; any other is refused, whether it exists or not."""
        for group in self.groups:
            if group.id == group_id:
                return group
        raise FORBIDDEN


async def viewer(uow: UnitOfWork, user_id: int) -> Viewer | None:
    """The person of a session, if they still may use the dashboard (grants are read on every
    request, so a revoked role ends access at once)."""
    user = await uow.users.get(user_id)
    if user is None:
        return None
    grants = await uow.roles.active(user.id)
    if not allowed(grants, Action.VIEW_DASHBOARD):
        return None
    groups = [
        g for g in await groups_in_scope(uow, grants) if allowed(grants, Action.VIEW_DASHBOARD, g)
    ]
    return Viewer(user, grants, groups)


@dataclass(frozen=True)
class Visit:
    """One request of a logged-in person: the open unit of work and what the pages need."""

    request: Request
    uow: UnitOfWork
    viewer: Viewer
    texts: Texts
    settings: Settings
    knowledge: Knowledge
    now: dt.datetime

    def t(self, key: str, **params: object) -> str:
        return self.texts.get(self.viewer.language, key, **params)

    def query(self, name: str, allowed_values: Sequence[str]) -> str | None:
        """A query parameter, if it is one of `allowed_values` (anything else is ignored)."""
        value = self.request.query_params.get(name)
        return value if value in allowed_values else None


@dataclass(frozen=True)
class Page:
    """A template and what it shows; the app adds the words, the person and the menu."""

    template: str
    context: dict[str, object]


Later = Callable[[], Awaitable[Response]]
"""What a page hands back to finish after its transaction (a file built in a worker thread)."""
