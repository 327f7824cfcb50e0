"""Siaran: broadcasts with their delivery counts; as in the chat's history, each person sees
their own and an admin sees all."""

from __future__ import annotations

from bot.base.timefmt import local_label
from bot.storage.records import Role
from bot.web.visit import Page, Visit

LISTED = 50
EXCERPT = 120


def _excerpt(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= EXCERPT else flat[: EXCERPT - 1] + "…"


async def broadcasts_page(visit: Visit) -> Page:
    admin = visit.viewer.role is Role.ADMIN
    author = None if admin else visit.viewer.user.id
    rows = []
    for broadcast in await visit.uow.broadcasts.by_author(author, LISTED):
        tally = await visit.uow.broadcasts.tally(broadcast.id)
        rows.append(
            {
                "id": broadcast.id,
                "when": local_label(
                    visit.texts,
                    visit.viewer.language,
                    broadcast.send_at,
                    visit.settings.default_timezone,
                ),
                "status": visit.t(f"broadcast.status_{broadcast.status}"),
                "text": _excerpt(broadcast.text),
                "tally": tally,
            }
        )
    scope = "web.broadcasts_scope_admin" if admin else "web.broadcasts_scope"
    return Page("broadcasts.html", {"rows": rows, "scope": scope})
