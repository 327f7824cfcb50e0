"""What recipients of a broadcast see, and the numbers its author is told, in either language."""

from __future__ import annotations

import datetime as dt

from bot.base.models import Choice, Reply
from bot.base.texts import LANGUAGES, Texts
from bot.domain.access import main_role
from bot.domain.audience import Audience, Scope, district_key
from bot.storage.broadcasts import Broadcast, Tally
from bot.storage.database import UnitOfWork
from bot.storage.records import Group, Role, User

MAX_CHARS = 900
"""A broadcast must fit a WhatsApp template parameter (the template body holds 1024 in all)."""
REPLY_ACTION = "reply"
CONTROL_ACTIONS = ("pause", "resume", "cancel")
CONTROLS_OPEN_FOR = dt.timedelta(days=30)
"""How long the author's pause / resume / cancel buttons keep working."""


def control_token(broadcast_id: int, action: str) -> str:
    """Buttons on a broadcast: `bc:12:reply` for recipients, pause/resume/cancel for its author."""
    return f"bc:{broadcast_id}:{action}"


def thousands(number: int, language: str) -> str:
    """1.234 in Indonesian, 1,234 in English."""
    grouped = f"{number:,}"
    return grouped.replace(",", ".") if language == "id" else grouped


async def signature(uow: UnitOfWork, author: User, language: str, texts: Texts) -> str:
    """Who the message is from: a kader names their group, anyone else is a health officer."""
    grants = await uow.roles.active(author.id)
    if main_role(grants) is Role.KADER:
        group_id = next(g.group_id for g in grants if g.role is Role.KADER)
        group = await uow.groups.get(group_id) if group_id is not None else None
        if group is not None:
            return texts.get(language, "broadcast.from_kader", name=author.name, group=group.name)
    return texts.get(language, "broadcast.from_officer", name=author.name)


async def recipient_messages(
    uow: UnitOfWork,
    texts: Texts,
    author: User,
    text: str,
    photo: str | None,
    broadcast_id: int,
) -> dict[str, Reply]:
    """The message as each language's recipients get it, with the button to answer."""
    messages = {}
    for language in LANGUAGES:
        messages[language] = Reply(
            key="broadcast.message",
            text=texts.get(
                language,
                "broadcast.message",
                sender=await signature(uow, author, language, texts),
                text=text,
            ),
            choices=(
                Choice(
                    token=control_token(broadcast_id, REPLY_ACTION),
                    label=texts.get(language, "broadcast.reply_button"),
                ),
            ),
            photo=photo,
            language=language,
        )
    return messages


def tally_text(texts: Texts, language: str, broadcast: Broadcast, tally: Tally) -> str:
    """Where a broadcast stands, in a few short lines: status, counts, the commonest failures."""

    def n(value: int) -> str:
        return thousands(value, language)

    lines = [
        texts.get(
            language,
            "broadcast.tally",
            id=broadcast.id,
            status=texts.get(language, f"broadcast.status_{broadcast.status}"),
            done=n(tally.done),
            total=n(tally.total),
            percent=tally.done * 100 // tally.total if tally.total else 0,
            sent=n(tally.sent),
            failed=n(tally.failed),
            unreachable=n(tally.unreachable),
        )
    ]
    if tally.cancelled:
        lines.append(texts.get(language, "broadcast.tally_cancelled", count=n(tally.cancelled)))
    if tally.rerouted:
        lines.append(texts.get(language, "broadcast.tally_rerouted", count=n(tally.rerouted)))
    if tally.chats:
        lines.append(
            texts.get(language, "broadcast.tally_chats", sent=tally.chats_sent, total=tally.chats)
        )
    lines += [
        texts.get(language, "broadcast.tally_failure", reason=reason[:80], count=n(count))
        for reason, count in tally.failures
    ]
    return "\n".join(lines)


def controls(texts: Texts, language: str, broadcast: Broadcast) -> tuple[Choice, ...]:
    """The author's buttons for a broadcast still going: pause or resume, and cancel."""
    actions = {
        "scheduled": ("cancel",),
        "sending": ("pause", "cancel"),
        "paused": ("resume", "cancel"),
    }
    return tuple(
        Choice(
            token=control_token(broadcast.id, action),
            label=texts.get(language, f"broadcast.{action}_button"),
        )
        for action in actions.get(broadcast.status, ())
    )


def describe(texts: Texts, language: str, audience: Audience, groups: list[Group]) -> str:
    """Whom a broadcast reaches, in one line: where, how many groups, which roles, language."""
    where = texts.get(language, f"broadcast.scope_{audience.scope.value}")
    if audience.scope is Scope.DISTRICT:
        chosen = set(audience.values)
        where = ", ".join(sorted({g.district for g in groups if district_key(g) in chosen}))
    elif audience.scope is Scope.REGENCY:
        where = ", ".join(audience.values)
    elif audience.scope is Scope.SECTOR:
        where = ", ".join(texts.get(language, f"reports.sector_{v}") for v in audience.values)
    elif audience.scope is Scope.GROUPS:
        where = ", ".join(g.name for g in groups)
    return texts.get(
        language,
        "broadcast.audience_line",
        where=where[:300],
        groups=len(groups),
        roles=texts.get(language, f"broadcast.roles_{audience.roles}"),
        lang=texts.get(language, f"broadcast.language_{audience.language}"),
    )
