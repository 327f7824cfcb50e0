"""The one place that decides who may do what, on which group.

Every handler asks here; nothing trusts what a button token claims about scope.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from bot.storage.database import UnitOfWork
from bot.storage.records import Grant, Group, Role


class Action(StrEnum):
    USE_BOT = "use_bot"  # anything a registered worker may do for themselves
    VIEW_GROUP_MEMBERS = "view_group_members"
    VIEW_GROUPS_IN_SCOPE = "view_groups_in_scope"
    MANAGE_ACTIVITIES = "manage_activities"  # kader of the group, officers covering it, admins
    HANDLE_INCIDENTS = "handle_incidents"  # see and act on reports: the same people
    BROADCAST = "broadcast"  # kader to their own group; officers and admins within their scope
    LINK_CHAT = "link_chat"  # link a group's own chat (a Telegram group) to it: the same people
    PRINT_BOOKLET = "print_booklet"  # the first-aid booklet for a group's box: the same people
    VIEW_DASHBOARD = "view_dashboard"  # the web dashboard of a group: the same people


def roles(grants: Sequence[Grant]) -> set[Role]:
    return {Role.WORKER} | {grant.role for grant in grants}


def main_role(grants: Sequence[Grant]) -> Role:
    """The role whose menu a person sees: the widest one they hold."""
    held = roles(grants)
    for role in (Role.ADMIN, Role.OFFICER, Role.KADER):
        if role in held:
            return role
    return Role.WORKER


def covers(grant: Grant, group: Group) -> bool:
    if grant.role is Role.ADMIN:
        return True
    if grant.role is Role.OFFICER:
        return grant.group_id == group.id or grant.regency == group.regency
    return grant.role is Role.KADER and grant.group_id == group.id


def allowed(grants: Sequence[Grant], action: Action, group: Group | None = None) -> bool:
    """Whether someone holding `grants` may do `action` (on `group`, when one is given)."""
    held = roles(grants)
    if action is Action.USE_BOT:
        return True
    if action is Action.VIEW_GROUPS_IN_SCOPE:
        return bool(held & {Role.OFFICER, Role.ADMIN})
    if action in (
        Action.VIEW_GROUP_MEMBERS,
        Action.MANAGE_ACTIVITIES,
        Action.HANDLE_INCIDENTS,
        Action.BROADCAST,
        Action.LINK_CHAT,
        Action.PRINT_BOOKLET,
        Action.VIEW_DASHBOARD,
    ):
        if group is None:
            return bool(held & {Role.KADER, Role.OFFICER, Role.ADMIN})
        return any(covers(grant, group) for grant in grants)
    raise AssertionError(f"unhandled action {action}")


def names_anonymous_reporters(grants: Sequence[Grant], group: Group | None) -> bool:
    """Whether the person behind an anonymous report of `group` is shown: only to the officers
    covering it and to admins; its kader see "anonim"."""
    return group is not None and any(
        grant.role in (Role.OFFICER, Role.ADMIN) and covers(grant, group) for grant in grants
    )


async def groups_in_scope(uow: UnitOfWork, grants: Sequence[Grant]) -> list[Group]:
    """Every group some grant of this person covers, each once."""
    if any(grant.role is Role.ADMIN for grant in grants):
        return await uow.groups.all()
    found: dict[int, Group] = {}
    for grant in grants:
        if grant.regency is not None:
            found.update((group.id, group) for group in await uow.groups.in_regency(grant.regency))
        elif grant.group_id is not None:
            group = await uow.groups.get(grant.group_id)
            if group is not None:
                found[group.id] = group
    return sorted(found.values(), key=lambda group: (group.regency, group.name))
