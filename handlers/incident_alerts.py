"""A report reaches people: the emergency alarm mid-report, the kader alert on submit, the
follow-ups for the worker, and what kader and officers do about it (buttons in the alert).

Everything goes through the outbox in the same transaction as the report, so an accepted report
is never without its alerts.
"""

from __future__ import annotations

import datetime as dt

from bot.base import keys
from bot.base.clock import to_db
from bot.base.models import Reply
from bot.core.conversation import StepContext
from bot.domain.access import Action, allowed, names_anonymous_reporters
from bot.domain.incident_codes import OCCUPATION, TOPIC_CODES
from bot.domain.incident_text import (
    ACTION_EFFECT,
    ACTION_TOKEN,
    ALERT_ACTIONS,
    BUTTONS_VALID,
    action_choices,
    describe,
    reporter_label,
    reporter_phone,
    victim_label,
)
from bot.storage.incidents import Incident, NewIncident
from bot.storage.records import Group, User
from content.knowledge import pick
from content.schema import Sector
from handlers.emergency import emergency_card
from handlers.report_draft import ReportDraft

FOLLOWUP_ANSWER_VALID = dt.timedelta(days=7)


def _draft(ctx: StepContext) -> ReportDraft:
    return ctx.draft_as(ReportDraft)


async def _helpers(ctx: StepContext, group: Group, *, officers: bool) -> list[tuple[User, bool]]:
    """The group's kader, and its officers too when asked or when it has no kader; each with
    whether they may see who sent an anonymous report."""
    ids = set(await ctx.uow.roles.kader_ids(group.id))
    if officers or not ids:
        ids |= set(await ctx.uow.roles.officer_ids(group.id, group.regency))
    ids.discard(ctx.registered_user.id)
    helpers = []
    for helper in await ctx.uow.users.many(sorted(ids)):
        grants = await ctx.uow.roles.active(helper.id)
        helpers.append((helper, names_anonymous_reporters(grants, group)))
    return helpers


async def raise_alarm(
    ctx: StepContext, topic_id: str | None, signs: list[str], text: str
) -> list[Reply]:
    """An emergency mid-report: the card for the person, an urgent alert to kader and officers."""
    _draft(ctx).alerted = True
    _draft(ctx).severe = True
    topic = ctx.knowledge.topics.get(topic_id or "")
    card = emergency_card(ctx, topic, signs)
    user, group = ctx.registered_user, ctx.group
    if group is None:
        return [card, ctx.reply("report.alarm_no_group")]
    helpers = await _helpers(ctx, group, officers=True)
    for helper, _ in helpers:  # named to all: in an emergency they must find the person
        await ctx.notify(
            helper,
            kind="incident_alarm",
            key="incident.alarm",
            dedupe_key=keys.alarm(user.id, ctx.now),
            urgent=True,
            name=_draft(ctx).victim_name or user.name,
            phone=user.phone or "-",
            group=group.name,
            what=pick(topic.title, helper.language) if topic else text[:200] or "-",
        )
    return [card, ctx.reply("report.alarm_sent" if helpers else "report.alarm_no_one")]


def _new_incident(ctx: StepContext) -> NewIncident:
    draft, group = _draft(ctx), ctx.group
    topic_id = draft.topic
    injury_type, agent = TOPIC_CODES.get(str(topic_id), (None, None))
    topic = ctx.knowledge.topics.get(str(topic_id))
    near_miss = draft.who == "none"
    severe = bool(draft.severe or draft.danger or (topic and topic.always_emergency))
    stopped = draft.stopped
    return NewIncident(
        group_id=group.id if group else None,
        reporter_id=ctx.registered_user.id,
        kind="near_miss" if near_miss else "injury",
        victim=str(draft.who),
        victim_name=draft.victim_name if draft.who == "other" else None,
        victim_sex=None if near_miss else draft.sex,
        victim_age=None if near_miss else draft.age,
        employment=None if near_miss else draft.employment,
        occupation=OCCUPATION[group.sector if group else Sector.GENERAL],
        topic_id=None if near_miss else topic_id,
        injury_type=None if near_miss else injury_type,
        material_agent=None if near_miss else agent,
        what_text=str(draft.what_text or ""),
        body_part=None if near_miss else draft.body,
        occurred_on=str(draft.occurred_on),
        occurred_time=draft.occurred_time,
        place_text=str(draft.place or ""),
        latitude=draft.lat,
        longitude=draft.lon,
        activity=str(draft.activity),
        activity_text=str(draft.activity_text or ""),
        commuting=draft.activity == "commute",
        danger_signs=bool(draft.danger),
        first_aid_given=str(draft.first_aid or ""),
        stopped_work=None if near_miss or stopped is None else bool(stopped),
        photo_ref=draft.photo,
        voice_ref=draft.voice,
        severe=severe and not near_miss,
        anonymous=bool(draft.anonymous),
    )


async def submit(ctx: StepContext) -> list[Reply]:
    """Store the report, alert the kader (and the officers if severe), plan the follow-ups."""
    user = ctx.registered_user
    incident = await ctx.uow.incidents.create(_new_incident(ctx), ctx.now)
    await ctx.uow.audit.record(
        actor=f"user:{user.id}",
        action="report-incident",
        subject=f"incident:{incident.id}",
        now=ctx.now,
        kind=incident.kind,
    )
    told = await alert_helpers(ctx, incident)
    if incident.kind == "injury":
        await _plan_followups(ctx, incident)
    key = "report.saved" if told else "report.saved_no_one"
    return [ctx.reply(key, reference=incident.reference, told=told)]


async def alert_helpers(ctx: StepContext, incident: Incident) -> int:
    """The alert with its action buttons; how many people it went to."""
    if ctx.group is None:
        return 0
    helpers = await _helpers(ctx, ctx.group, officers=incident.severe)
    user = ctx.registered_user
    for helper, named in helpers:
        reporter = reporter_label(ctx.texts, helper.language, incident, user, named=named)
        await ctx.notify(
            helper,
            kind="incident_alert",
            key="incident.alert",
            dedupe_key=keys.incident(incident.id, "alert"),
            urgent=incident.severe,
            choices=action_choices(incident, ALERT_ACTIONS),
            choices_valid_until=ctx.now + BUTTONS_VALID,
            summary=describe(ctx.texts, ctx.knowledge, helper.language, incident),
            name=victim_label(ctx.texts, helper.language, incident, reporter),
            reporter=reporter,
            phone=reporter_phone(incident, user, named=named),
            group=ctx.group.name,
        )
    return len(helpers)


async def _plan_followups(ctx: StepContext, incident: Incident) -> None:
    """ "How is the wound?" after 24 and 72 hours (settings); closing the report withdraws them."""
    user = ctx.registered_user
    for number, hours in enumerate(ctx.settings.followup_hours, start=1):
        due = ctx.now + dt.timedelta(hours=hours)
        await ctx.notify(
            user,
            kind="followup",
            key="followup.ask",
            dedupe_key=keys.followup(incident.id, number),
            not_before=due,
            choices=[
                (f"fu:{incident.id}:{number}:{answer}", f"followup.{answer}")
                for answer in ("better", "same", "worse")
            ],
            choices_valid_until=due + FOLLOWUP_ANSWER_VALID,
            reference=incident.reference,
            name=victim_label(ctx.texts, user.language, incident, user.name),
        )


def is_incident_action(token: str) -> bool:
    return ACTION_TOKEN.match(token) is not None


async def may_handle(ctx: StepContext, incident: Incident) -> Group | None:
    """The report's group, if this person is its kader or an officer covering it."""
    group = await ctx.uow.groups.get(incident.group_id) if incident.group_id else None
    if group is None or not allowed(ctx.grants, Action.HANDLE_INCIDENTS, group):
        return None
    return group


async def take_incident_action(ctx: StepContext, token: str) -> Reply:
    """A button in an alert or a report view: checked against the person's scope, not the token."""
    found = ACTION_TOKEN.match(token)
    assert found is not None
    incident = await ctx.uow.incidents.get(int(found.group(1)))
    if incident is None or await may_handle(ctx, incident) is None:
        return ctx.reply("access.denied")
    return await apply_action(ctx, incident, found.group(2))


async def apply_action(ctx: StepContext, incident: Incident, action: str) -> Reply:
    """Record the new status with who and when; tell the reporter; closing stops follow-ups."""
    if incident.status == "closed":
        return ctx.reply("incident.already_closed", reference=incident.reference)
    user = ctx.registered_user
    status, outcome = ACTION_EFFECT[action]
    await ctx.uow.incidents.set_status(incident.id, status, outcome, user.id, ctx.now)
    await ctx.uow.audit.record(
        actor=f"user:{user.id}",
        action="incident-status",
        subject=f"incident:{incident.id}",
        now=ctx.now,
        status=status,
        outcome=outcome,
    )
    if status == "closed":
        await ctx.uow.outbox.withdraw(f"followup:{incident.id}:", "report closed")
    reporter = await ctx.uow.users.many([incident.reporter_id] if incident.reporter_id else [])
    for person in reporter:
        if person.id != user.id and action != "died":
            await ctx.notify(
                person,
                kind="incident_update",
                key=f"incident.update_{action}",
                dedupe_key=keys.incident(incident.id, f"{action}:{to_db(ctx.now)}"),
                reference=incident.reference,
                helper=user.name,
            )
    return ctx.reply(f"incident.done_{action}", reference=incident.reference)
