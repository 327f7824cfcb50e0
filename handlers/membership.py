"""Joining and leaving a Pos UKK group, shared by registration and the group menu."""

from __future__ import annotations

from bot.base import keys
from bot.core.conversation import StepContext
from bot.storage.records import Group, Role


async def join_group(ctx: StepContext, group: Group) -> bool:
    """Make the person a member of `group` and tell its kader, in the same transaction;
    whether there was a kader to tell."""
    user = ctx.registered_user
    await ctx.uow.memberships.join(user.id, group.id, ctx.now)
    ctx.group = group
    kader_ids = [k for k in await ctx.uow.roles.kader_ids(group.id) if k != user.id]
    kader = await ctx.uow.users.many(kader_ids)
    for one in kader:
        await ctx.notify(
            one,
            kind="member_joined",
            key="group.kader_new_member",
            dedupe_key=keys.member_joined(group.id, user.id, ctx.now),
            name=user.name,
            group=group.name,
        )
    return bool(kader)


def is_kader_of(ctx: StepContext, group: Group) -> bool:
    return any(grant.role is Role.KADER and grant.group_id == group.id for grant in ctx.grants)
