"""/sos at any moment: where are you, then alert the group's kader and the regency's officers.

The interrupted conversation is kept in the draft and resumed afterwards, so nothing given
before the SOS is lost.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from bot.base import keys
from bot.base.models import Reply
from bot.core.conversation import (
    SOS_FLOW,
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
from handlers.emergency import emergency_card

MAX_PLACE = 200


class Interrupted(BaseModel):
    """The conversation an SOS interrupted, as stored: it goes on afterwards."""

    flow: str
    step: str
    draft: dict[str, Any]


class SosDraft(Draft):
    resume: Interrupted | None = None


def start_sos(interrupted: dict[str, Any] | None) -> StartFlow:
    """Begin an SOS, remembering the flow it interrupts (if any) to resume afterwards."""
    resume = Interrupted.model_validate(interrupted) if interrupted else None
    return StartFlow(SOS_FLOW, SosDraft(resume=resume))


async def ask_place(ctx: StepContext) -> Reply:
    return ctx.reply(
        "sos.ask_place", choices=[ctx.choice("sos:skip", "sos.skip")], request="location"
    )


async def take_place(ctx: StepContext, answer: Answer) -> Outcome:
    """A shared location or a typed place; skipping still sends the alert."""
    if answer.location is not None:
        lat, lon = answer.location.latitude, answer.location.longitude
        place = ctx.t("sos.map", lat=f"{lat:.5f}", lon=f"{lon:.5f}")
    elif answer.choice == "sos:skip":
        place = ctx.t("sos.place_unknown")
    elif answer.text:
        place = answer.text[:MAX_PLACE]
    else:
        return Retry(ctx.reply("sos.place_invalid"))
    told = await alert_helpers(ctx, place)
    replies = [ctx.reply("sos.sent" if told else "sos.no_one"), emergency_card(ctx, None, [])]
    resume = ctx.draft_as(SosDraft).resume
    if resume:
        return StartFlow(resume.flow, resume.draft, replies, step=resume.step)
    return Finish(replies)


async def alert_helpers(ctx: StepContext, place: str) -> int:
    """Urgent outbox messages to the group's kader and the officers covering it; how many."""
    user, group = ctx.registered_user, ctx.group
    if group is None:
        return 0
    recipients = set(await ctx.uow.roles.kader_ids(group.id))
    recipients |= set(await ctx.uow.roles.officer_ids(group.id, group.regency))
    recipients.discard(user.id)
    local_time = ctx.now.astimezone(ZoneInfo(group.timezone)).strftime("%d-%m-%Y %H:%M")
    for recipient in await ctx.uow.users.many(sorted(recipients)):
        await ctx.notify(
            recipient,
            kind="sos",
            key="sos.alert",
            dedupe_key=keys.sos(user.id, ctx.now),
            urgent=True,
            name=user.name,
            group=group.name,
            phone=user.phone or "-",
            place=place,
            time=local_time,
        )
    return len(recipients)


FLOW = Flow(
    name=SOS_FLOW, first="place", steps={"place": Step(ask_place, take_place)}, draft=SosDraft
)
