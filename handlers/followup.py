"""Follow-ups a day and three days after a report: how is the injury, and is it getting worse?

The question arrives as an outbox message with buttons (standing offers); a "worse" answer asks
the worsening signs of the injury and, if any is there, sends the worker to the Puskesmas and
tells the kader. The last follow-up also asks how many days the worker could not work.
"""

from __future__ import annotations

import re

from bot.base import keys
from bot.base.clock import to_db
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
from bot.domain.incident_codes import worsening_topic
from bot.domain.incident_text import victim_label
from bot.storage.incidents import Incident
from content.knowledge import pick
from handlers.first_aid import bullet_list

FOLLOWUP_TOKEN = re.compile(r"^fu:(\d+):(\d):(better|same|worse)$")
DAYS_MAX = 366
DAY_CHOICES = (0, 1, 2, 3, 7)


class FollowupDraft(Draft):
    incident_id: int = 0
    last: bool = False
    """The last follow-up: the days off work are asked too."""


def is_followup(token: str) -> bool:
    return FOLLOWUP_TOKEN.match(token) is not None


async def _own_incident(ctx: StepContext, incident_id: int) -> Incident | None:
    incident = await ctx.uow.incidents.get(incident_id)
    if incident is None or incident.reporter_id != ctx.registered_user.id:
        return None
    return incident


async def take_followup(ctx: StepContext, token: str) -> Reply | Outcome:
    """The answer to "how is it?": recorded on the report's timeline, then what fits it."""
    found = FOLLOWUP_TOKEN.match(token)
    assert found is not None
    incident = await _own_incident(ctx, int(found.group(1)))
    if incident is None:
        return ctx.reply("access.denied")
    if incident.status == "closed":
        return ctx.reply("followup.closed", reference=incident.reference)
    number, answer = int(found.group(2)), found.group(3)
    user = ctx.registered_user
    await ctx.uow.incidents.add_event(incident.id, ctx.now, user.id, f"followup_{number}", answer)
    last = number >= len(ctx.settings.followup_hours)
    draft = FollowupDraft(incident_id=incident.id, last=last)
    thanks = ctx.reply(f"followup.thanks_{answer}")
    if answer == "worse":
        return StartFlow("followup", draft, [thanks], step="signs")
    if last:
        return StartFlow("followup", draft, [thanks], step="days")
    return thanks


async def _incident(ctx: StepContext) -> Incident:
    incident = await _own_incident(ctx, ctx.draft_as(FollowupDraft).incident_id)
    assert incident is not None
    return incident


async def ask_signs(ctx: StepContext) -> Reply:
    incident = await _incident(ctx)
    topic = ctx.knowledge.topics[worsening_topic(incident.topic_id)]
    signs = bullet_list([pick(s, ctx.language) for s in topic.danger_signs])
    choices = [
        ctx.choice("fu:signs:yes", "common.answer_yes"),
        ctx.choice("fu:signs:no", "common.answer_no"),
    ]
    return ctx.reply("followup.ask_signs", choices=choices, signs=signs)


async def take_signs(ctx: StepContext, answer: Answer) -> Outcome:
    """Any sign: go to the Puskesmas today, and the kader hear of it."""
    if answer.choice not in ("fu:signs:yes", "fu:signs:no"):
        return Retry(ctx.reply("common.pick_yes_no"))
    incident, user = await _incident(ctx), ctx.registered_user
    if answer.choice == "fu:signs:no":
        replies = [ctx.reply("followup.watch")]
    else:
        await ctx.uow.incidents.add_event(incident.id, ctx.now, user.id, "worse_signs")
        group = await ctx.uow.groups.get(incident.group_id) if incident.group_id else None
        told = 0
        if group is not None:
            kader = [k for k in await ctx.uow.roles.kader_ids(group.id) if k != user.id]
            for person in await ctx.uow.users.many(kader):
                await ctx.notify(
                    person,
                    kind="incident_worse",
                    key="incident.worse_alert",
                    dedupe_key=keys.incident(incident.id, f"worse:{to_db(ctx.now)}"),
                    urgent=True,
                    reference=incident.reference,
                    # named even on an anonymous report: danger signs need the person found
                    name=victim_label(ctx.texts, person.language, incident, user.name),
                    phone=user.phone or "-",
                )
                told += 1
        puskesmas = group.puskesmas_name if group else "Puskesmas"
        replies = [ctx.reply("followup.go_puskesmas", puskesmas=puskesmas, told=told)]
    if ctx.draft_as(FollowupDraft).last:
        return Goto("days", replies)
    return Finish(replies)


async def ask_days(ctx: StepContext) -> Reply:
    choices = [ctx.choice("fu:days:0", "followup.days_none")]
    choices += [ctx.choice(f"fu:days:{d}", f"followup.days_{d}") for d in DAY_CHOICES[1:]]
    return ctx.reply("followup.ask_days", choices=choices)


async def take_days(ctx: StepContext, answer: Answer) -> Outcome:
    """Days unable to work (an ILO field): a button or a typed number."""
    typed = (answer.text or "").strip()
    if not typed.isdigit():  # a typed number is days, not the number of a button
        typed = answer.choice.removeprefix("fu:days:") if answer.choice else typed
    digits = "".join(ch for ch in typed if ch.isdigit())[:3]
    if not digits or int(digits) > DAYS_MAX:
        return Retry(ctx.reply("followup.days_invalid"))
    incident = await _incident(ctx)
    await ctx.uow.incidents.set_days_lost(incident.id, int(digits), ctx.registered_user.id, ctx.now)
    return Finish([ctx.reply("followup.days_saved", days=int(digits))])


FLOW = Flow(
    name="followup",
    first="signs",
    steps={"signs": Step(ask_signs, take_signs), "days": Step(ask_days, take_days)},
    draft=FollowupDraft,
)
