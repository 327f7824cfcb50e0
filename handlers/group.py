"""A worker's own Pos UKK group: see it, switch to another with a code, or leave."""

from __future__ import annotations

from bot.base.models import Reply
from bot.core.conversation import (
    Answer,
    Draft,
    Finish,
    Flow,
    Goto,
    Outcome,
    Retry,
    StartFlow,
    Step,
    StepContext,
)
from handlers.membership import is_kader_of, join_group


class GroupDraft(Draft):
    group_id: int = 0
    """The group a join link named."""


async def join_by_code(ctx: StepContext, code: str) -> Outcome:
    """A registered person opened a group's join link (`/start CODE`)."""
    group = await ctx.uow.groups.by_code(code)
    if group is None:
        return Finish([ctx.reply("registration.code_invalid")])
    if ctx.group is not None and ctx.group.id == group.id:
        return Finish([ctx.reply("group.already_member", group=group.name)])
    return StartFlow("group", GroupDraft(group_id=group.id), step="confirm_join")


async def ask_overview(ctx: StepContext) -> Reply:
    back = ctx.choice("group:back", "common.back")
    group = ctx.group
    if group is None:
        return ctx.reply("group.none", choices=[ctx.choice("group:join", "group.enter_code"), back])
    choices = [
        ctx.choice("group:switch", "group.switch"),
        ctx.choice("group:leave", "group.leave"),
        back,
    ]
    return ctx.reply(
        "group.current",
        choices=choices,
        name=group.name,
        village=group.village,
        district=group.district,
        regency=group.regency,
        puskesmas=group.puskesmas_name,
        phone=group.puskesmas_phone or "-",
    )


async def take_overview(ctx: StepContext, answer: Answer) -> Outcome:
    """What to do with the group."""
    if answer.choice in ("group:join", "group:switch"):
        if ctx.group is not None and is_kader_of(ctx, ctx.group):
            return Finish([ctx.reply("group.kader_stays")])
        return Goto("code")
    if answer.choice == "group:leave" and ctx.group is not None:
        if is_kader_of(ctx, ctx.group):
            return Finish([ctx.reply("group.kader_stays")])
        return Goto("confirm_leave")
    if answer.choice == "group:back":
        return Finish()
    return Retry(ctx.reply("common.pick_option"))


async def ask_code(ctx: StepContext) -> Reply:
    return ctx.reply("group.ask_code", choices=[ctx.choice("group:back", "common.back")])


async def take_code(ctx: StepContext, answer: Answer) -> Outcome:
    """A join code; joining leaves the current group."""
    if answer.choice == "group:back":
        return Finish()
    group = await ctx.uow.groups.by_code(answer.text) if answer.text else None
    if group is None:
        return Retry(ctx.reply("registration.code_invalid"))
    if ctx.group is not None and group.id == ctx.group.id:
        return Finish([ctx.reply("group.already_member", group=group.name)])
    told = await join_group(ctx, group)
    return Finish(
        [ctx.reply("group.joined" if told else "group.joined_no_kader", group=group.name)]
    )


async def ask_confirm_join(ctx: StepContext) -> Reply:
    group = await ctx.uow.groups.get(ctx.draft_as(GroupDraft).group_id)
    assert group is not None
    choices = [
        ctx.choice("join:yes", "common.answer_yes"),
        ctx.choice("join:no", "common.answer_no"),
    ]
    return ctx.reply("group.confirm_join", choices=choices, group=group.name, village=group.village)


async def take_confirm_join(ctx: StepContext, answer: Answer) -> Outcome:
    """Join the group a link pointed to, after a yes."""
    if answer.choice == "join:no":
        return Finish([ctx.reply("common.cancelled")])
    if answer.choice != "join:yes":
        return Retry(ctx.reply("common.pick_yes_no"))
    group = await ctx.uow.groups.get(ctx.draft_as(GroupDraft).group_id)
    if group is None:
        return Finish([ctx.reply("registration.code_invalid")])
    if ctx.group is not None and is_kader_of(ctx, ctx.group):
        return Finish([ctx.reply("group.kader_stays")])
    told = await join_group(ctx, group)
    return Finish(
        [ctx.reply("group.joined" if told else "group.joined_no_kader", group=group.name)]
    )


async def ask_confirm_leave(ctx: StepContext) -> Reply:
    assert ctx.group is not None
    choices = [
        ctx.choice("leave:yes", "common.answer_yes"),
        ctx.choice("leave:no", "common.answer_no"),
    ]
    return ctx.reply("group.confirm_leave", choices=choices, group=ctx.group.name)


async def take_confirm_leave(ctx: StepContext, answer: Answer) -> Outcome:
    """Leave the group after a yes."""
    if answer.choice == "leave:no":
        return Finish([ctx.reply("common.cancelled")])
    if answer.choice != "leave:yes" or ctx.group is None:
        return Retry(ctx.reply("common.pick_yes_no"))
    await ctx.uow.memberships.leave(ctx.registered_user.id, ctx.now)
    left, ctx.group = ctx.group, None
    return Finish([ctx.reply("group.left", group=left.name)])


FLOW = Flow(
    name="group",
    first="overview",
    steps={
        "overview": Step(ask_overview, take_overview),
        "code": Step(ask_code, take_code),
        "confirm_join": Step(ask_confirm_join, take_confirm_join),
        "confirm_leave": Step(ask_confirm_leave, take_confirm_leave),
    },
    draft=GroupDraft,
)
