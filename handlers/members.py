"""What kader and officers see of their groups: members, and the groups in their scope."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.core.conversation import Finish, Outcome, StepContext
from bot.domain.access import groups_in_scope
from bot.storage.records import Role


async def show_members(ctx: StepContext, args: str) -> Outcome:
    """A kader's group members, with the date each joined, in the group's time zone."""
    replies = []
    kader_groups = [grant.group_id for grant in ctx.grants if grant.role is Role.KADER]
    for group_id in kader_groups:
        group = await ctx.uow.groups.get(group_id) if group_id is not None else None
        if group is None:
            continue
        zone = ZoneInfo(group.timezone)
        members = await ctx.uow.memberships.members(group.id)
        lines = "\n".join(
            ctx.t(
                "members.line",
                number=n,
                name=m.name,
                since=m.joined_at.astimezone(zone).strftime("%d-%m-%Y"),
            )
            for n, m in enumerate(members, start=1)
        ) or ctx.t("members.nobody")
        replies.append(
            ctx.reply(
                "members.list",
                group=group.name,
                count=len(members),
                lines=lines,
                code=group.join_code,
            )
        )
    if replies:
        return Finish(replies)
    officer = any(grant.role is Role.OFFICER for grant in ctx.grants)
    return Finish([ctx.reply("members.officer_hint" if officer else "members.no_group")])


async def show_groups(ctx: StepContext, args: str) -> Outcome:
    """An officer's groups: where, how many members, who the kader are, and the join code."""
    groups = await groups_in_scope(ctx.uow, ctx.grants)
    if not groups:
        return Finish([ctx.reply("groups.none")])
    lines = []
    for group in groups:
        kader = await ctx.uow.users.many(await ctx.uow.roles.kader_ids(group.id))
        lines.append(
            ctx.t(
                "groups.line",
                name=group.name,
                village=group.village,
                regency=group.regency,
                count=await ctx.uow.memberships.count(group.id),
                kader=", ".join(k.name for k in kader) or "-",
                code=group.join_code,
            )
        )
    return Finish([ctx.reply("groups.list", count=len(groups), lines="\n\n".join(lines))])
