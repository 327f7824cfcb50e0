"""One person on two chat apps, if they choose (`/tautkan`): a code made on the app where they
are registered, typed on the other, then confirmed there.

**Choice**: only an identity that is not registered yet can be linked, so two people's records
are never merged; someone registered on both apps stays two people.
"""

from __future__ import annotations

import datetime as dt

from bot.base.models import Reply
from bot.core.conversation import (
    LINK_FLOW,
    Answer,
    Draft,
    Finish,
    Flow,
    Outcome,
    Retry,
    StartFlow,
    Step,
    StepContext,
)
from bot.storage.groups import normalise_join_code

CODE_VALID_FOR = dt.timedelta(minutes=15)


class LinkDraft(Draft):
    code: str = ""
    """The one-time code typed on the new app."""


async def start_linking(ctx: StepContext, args: str) -> Outcome | list[Reply]:
    """`/tautkan`: a registered person gets a code; on the other app, `/tautkan CODE` asks to
    confirm. A bare list of replies means there is nothing to start."""
    code = normalise_join_code(args)
    if ctx.user is not None:
        if code:
            return Finish([ctx.reply("link.already_registered", name=ctx.user.name)])
        new = await ctx.uow.identities.new_code(ctx.user.id, ctx.now, CODE_VALID_FOR)
        minutes = int(CODE_VALID_FOR.total_seconds() // 60)
        return Finish([ctx.reply("link.code", code=new, minutes=minutes)])
    if not code:
        return [ctx.reply("link.how")]
    if await ctx.uow.identities.owner_of(code, ctx.now) is None:
        return [ctx.reply("link.code_invalid")]
    return StartFlow(LINK_FLOW, LinkDraft(code=code), step="confirm")


async def ask_confirm(ctx: StepContext) -> Reply:
    owner_id = await ctx.uow.identities.owner_of(ctx.draft_as(LinkDraft).code, ctx.now)
    owner = await ctx.uow.users.get(owner_id) if owner_id is not None else None
    return ctx.reply(
        "link.confirm",
        name=owner.name if owner else "?",
        app=ctx.t(f"app.{owner.channel.value}") if owner else "?",
        choices=[
            ctx.choice("link:yes", "common.answer_yes"),
            ctx.choice("link:no", "common.answer_no"),
        ],
    )


async def take_confirm(ctx: StepContext, answer: Answer) -> Outcome:
    if answer.choice == "link:no":
        return Finish([ctx.reply("link.declined")])
    if answer.choice != "link:yes":
        return Retry(ctx.reply("common.pick_yes_no"))
    channel, ref = ctx.channel_user
    try:
        owner_id = await ctx.uow.identities.link(
            ctx.draft_as(LinkDraft).code, channel, ref, ctx.now
        )
    except LookupError:
        return Finish([ctx.reply("link.code_invalid")])
    await ctx.uow.audit.record(
        actor=f"user:{owner_id}",
        action="identity-link",
        subject=f"user:{owner_id}",
        now=ctx.now,
        channel=channel.value,
    )
    owner = await ctx.uow.users.get(owner_id)
    return Finish([ctx.reply("link.done", name=owner.name if owner else "")])


FLOW = Flow(
    name=LINK_FLOW,
    first="confirm",
    steps={"confirm": Step(ask_confirm, take_confirm)},
    draft=LinkDraft,
)
