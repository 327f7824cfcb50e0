"""Whom a broadcast reaches: an audience as chosen, narrowed to what its author may reach.

The audience is stored with the broadcast and resolved again, against the author's grants of
that moment, each time recipients are counted or queued: whatever a button token or a stored
audience names, nobody outside the author's scope is ever reached.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict

from bot.domain.access import Action, allowed, groups_in_scope
from bot.storage.broadcasts import Recipients
from bot.storage.database import UnitOfWork
from bot.storage.records import Grant, Group, GroupChat


class Scope(StrEnum):
    ALL = "all"
    REGENCY = "regency"
    DISTRICT = "district"
    GROUPS = "groups"
    SECTOR = "sector"


class Audience(BaseModel):
    """`values` name the regencies, districts (`regency|district`), group ids or sectors."""

    model_config = ConfigDict(frozen=True)

    scope: Scope = Scope.ALL
    values: tuple[str, ...] = ()
    roles: Literal["all", "kader", "workers"] = "all"
    language: Literal["all", "id", "en"] = "all"


def district_key(group: Group) -> str:
    """District names repeat across regencies, so a district is named with its regency."""
    return f"{group.regency}|{group.district}"


def scope_value(scope: Scope, group: Group) -> str:
    """What `group` counts as under `scope`: its regency, district, id or sector."""
    match scope:
        case Scope.REGENCY:
            return group.regency
        case Scope.DISTRICT:
            return district_key(group)
        case Scope.GROUPS:
            return str(group.id)
        case Scope.SECTOR:
            return group.sector.value
    return ""


async def reachable_groups(uow: UnitOfWork, grants: Sequence[Grant]) -> list[Group]:
    """The groups someone may broadcast to: a kader's own group, an officer's scope, or all."""
    return [
        group
        for group in await groups_in_scope(uow, grants)
        if allowed(grants, Action.BROADCAST, group)
    ]


def select(groups: Sequence[Group], audience: Audience) -> list[Group]:
    if audience.scope is Scope.ALL:
        return list(groups)
    chosen = set(audience.values)
    return [group for group in groups if scope_value(audience.scope, group) in chosen]


async def resolve(
    uow: UnitOfWork, author_id: int, audience: Audience
) -> tuple[list[Group], Recipients]:
    """The groups an audience covers within its author's current scope, and its recipients."""
    groups = select(await reachable_groups(uow, await uow.roles.active(author_id)), audience)
    recipients = Recipients(
        author_id=author_id,
        group_ids=[group.id for group in groups],
        roles=audience.roles,
        language=None if audience.language == "all" else audience.language,
    )
    return groups, recipients


async def group_chats(
    uow: UnitOfWork, groups: Sequence[Group], audience: Audience
) -> list[GroupChat]:
    """The group chats a broadcast is also posted in: those linked to its groups, when it is
    meant for everyone there (a message for kader only is not), in the chat's language."""
    if audience.roles != "all":
        return []
    return [
        chat
        for group in groups
        for chat in await uow.group_chats.of_group(group.id)
        if audience.language in ("all", chat.language)
    ]
