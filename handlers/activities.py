"""Scheduled activities: members see what is coming; kader and officers add activities.

Every answer can be tapped or typed; the date is typed the way people write it and always
repeated back with its weekday before anything is saved.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from zoneinfo import ZoneInfo

from bot.base import keys, timefmt
from bot.base.models import Choice, Reply
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
from bot.domain.access import Action, allowed, groups_in_scope
from bot.domain.dates import parse_when
from bot.domain.recurrence import Recurrence, Repeat
from bot.storage.activities import Activity, NewActivity
from bot.storage.records import Group

KINDS = ("rutin", "periksa", "penyuluhan", "olahraga", "lokakarya", "kunjungan", "lainnya")
LOOK_AHEAD = dt.timedelta(days=31)
MAX_LISTED = 10
TEXT_MIN, TEXT_MAX = 2, 80


def local_label(ctx: StepContext, moment: dt.datetime, zone: str) -> str:
    return timefmt.local_label(ctx.texts, ctx.language, moment, zone)


async def managed_groups(ctx: StepContext) -> list[Group]:
    return [
        g
        for g in await groups_in_scope(ctx.uow, ctx.grants)
        if allowed(ctx.grants, Action.MANAGE_ACTIVITIES, g)
    ]


# -- what is coming --------------------------------------------------------------------------
class ActivityDraft(Draft):
    """A new activity, question by question."""

    group_id: int = 0
    kind: str = ""
    title: str = ""
    place: str = ""
    first_at: dt.datetime | None = None
    repeat: str = ""
    audience: str | None = None


class ActivityChangeDraft(ActivityDraft):
    """A change to an activity: the new title, place or audience is asked as for a new one."""

    change: str = ""
    """cancel or edit."""
    activity_id: int = 0
    field: str = ""
    """when, title, place or audience."""
    value: str = ""


def _draft(ctx: StepContext) -> ActivityDraft:
    return ctx.draft_as(ActivityDraft)


def _change(ctx: StepContext) -> ActivityChangeDraft:
    return ctx.draft_as(ActivityChangeDraft)


async def ask_overview(ctx: StepContext) -> Reply:
    managed = await managed_groups(ctx)
    groups = [ctx.group] if ctx.group else managed
    lines = []
    for group in groups:
        sees_answers = group.id in {g.id for g in managed}
        for activity in await ctx.uow.activities.active(group.id):
            zone = ZoneInfo(group.timezone)
            rule = Recurrence(Repeat(activity.repeat), activity.first_at.astimezone(zone))
            for moment in rule.occurrences(ctx.now, ctx.now + LOOK_AHEAD):
                answers = ""
                if sees_answers:
                    counts = await ctx.uow.rsvps.counts(activity.id, moment)
                    yes, no = counts.get("yes", 0), counts.get("no", 0)
                    answers = " " + ctx.t("activity.answers", yes=yes, no=no)
                when = local_label(ctx, moment, group.timezone)
                line = ctx.t(
                    "activity.line",
                    when=when,
                    title=activity.title,
                    place=activity.place,
                    answers=answers,
                )
                lines.append((moment, line))
    lines.sort(key=lambda item: item[0])
    listing = "\n".join(text for _, text in lines[:MAX_LISTED]) or ctx.t("activity.none_coming")
    choices = [ctx.choice("act:new", "activity.new")] if managed else []
    if managed:
        choices.append(ctx.choice("act:record", "activity.record"))
    if managed and lines:
        choices.append(ctx.choice("act:edit", "activity.edit"))
        choices.append(ctx.choice("act:cancel", "activity.cancel"))
    choices.append(ctx.choice("act:back", "common.back"))
    return ctx.reply("activity.overview", choices=choices, lines=listing)


async def take_overview(ctx: StepContext, answer: Answer) -> Outcome:
    """Add an activity (kader and officers only), or back to the menu."""
    if answer.choice == "act:new":
        groups = await managed_groups(ctx)
        if not groups:
            return Finish([ctx.reply("access.denied")])
        if len(groups) == 1:
            return StartFlow("activity_new", ActivityDraft(group_id=groups[0].id), step="kind")
        return StartFlow("activity_new")
    if answer.choice in ("act:cancel", "act:edit"):
        change = answer.choice.removeprefix("act:")
        return StartFlow("activity_change", ActivityChangeDraft(change=change))
    if answer.choice == "act:record":
        return StartFlow("activity_record")
    if answer.choice == "act:back":
        return Finish()
    return Retry(ctx.reply("common.pick_option"))


OVERVIEW = Flow(
    name="activities", first="overview", steps={"overview": Step(ask_overview, take_overview)}
)


# -- adding one ------------------------------------------------------------------------------
async def _group(ctx: StepContext) -> Group:
    group = await ctx.uow.groups.get(int(_draft(ctx).group_id))
    assert group is not None
    return group


async def ask_group(ctx: StepContext) -> Reply:
    groups = (await managed_groups(ctx))[:MAX_LISTED]
    return ctx.reply(
        "activity.ask_group",
        choices=[Choice(token=f"act:g:{g.id}", label=g.name[:24]) for g in groups],
    )


async def take_group(ctx: StepContext, answer: Answer) -> Outcome:
    """Which group, for officers with several; a join code may be typed instead."""
    managed = {g.id: g for g in await managed_groups(ctx)}
    chosen = None
    if answer.choice and answer.choice.startswith("act:g:"):
        chosen = managed.get(int(answer.choice.removeprefix("act:g:")))
    elif answer.text:
        by_code = await ctx.uow.groups.by_code(answer.text)
        chosen = managed.get(by_code.id) if by_code else None
    if chosen is None:
        return Retry(ctx.reply("common.pick_option"))
    _draft(ctx).group_id = chosen.id
    return Goto("kind")


async def ask_kind(ctx: StepContext) -> Reply:
    return ctx.reply(
        "activity.ask_kind", choices=[ctx.choice(f"act:k:{k}", f"activity.kind_{k}") for k in KINDS]
    )


async def take_kind(ctx: StepContext, answer: Answer) -> Outcome:
    kind = answer.choice.removeprefix("act:k:") if answer.choice else None
    if kind not in KINDS:
        return Retry(ctx.reply("common.pick_option"))
    _draft(ctx).kind = kind
    return Goto("title")


async def ask_title(ctx: StepContext) -> Reply:
    return ctx.reply(
        "activity.ask_title", choices=[ctx.choice("act:title:kind", "activity.use_kind")]
    )


def _take_text(ctx: StepContext, answer: Answer, field: str, then: str) -> Outcome:
    """A short free text (title, place): 2 to 80 characters, spaces tidied."""
    text = " ".join((answer.text or "").split())
    if not TEXT_MIN <= len(text) <= TEXT_MAX:
        return Retry(ctx.reply("activity.text_invalid", min=TEXT_MIN, max=TEXT_MAX))
    setattr(_draft(ctx), field, text)
    return Goto(then)


async def take_title(ctx: StepContext, answer: Answer) -> Outcome:
    if answer.choice == "act:title:kind":
        _draft(ctx).title = ctx.t(f"activity.kind_{_draft(ctx).kind}")
        return Goto("place")
    return _take_text(ctx, answer, "title", then="place")


async def ask_place(ctx: StepContext) -> Reply:
    return ctx.reply("activity.ask_place")


async def take_place(ctx: StepContext, answer: Answer) -> Outcome:
    return _take_text(ctx, answer, "place", then="when")


async def ask_when(ctx: StepContext) -> Reply:
    return ctx.reply("activity.ask_when")


async def take_when(ctx: StepContext, answer: Answer) -> Outcome:
    """The date and time, typed freely, in the group's time zone."""
    group = await _group(ctx)
    parsed = parse_when(answer.text or "", ctx.now.astimezone(ZoneInfo(group.timezone)))
    if parsed.moment is None:
        problem = parsed.problem.value if parsed.problem else "invalid"
        return Retry(ctx.reply(f"activity.when_{problem}"))
    _draft(ctx).first_at = parsed.moment
    return Goto("repeat")


def _first(ctx: StepContext) -> dt.datetime:
    first = _draft(ctx).first_at
    assert first is not None, "asked before the repeat"
    return first


def _repeat_label(ctx: StepContext, repeat: str) -> str:
    first = _first(ctx)
    weekday = ctx.t(f"weekday.{first.weekday()}")
    return ctx.t(
        f"activity.repeat_{repeat}", weekday=weekday, day=first.day, nth=(first.day - 1) // 7 + 1
    )


async def ask_repeat(ctx: StepContext) -> Reply:
    choices = [
        Choice(token=f"act:r:{r.value}", label=_repeat_label(ctx, r.value)[:24]) for r in Repeat
    ]
    return ctx.reply("activity.ask_repeat", choices=choices)


async def take_repeat(ctx: StepContext, answer: Answer) -> Outcome:
    repeat = answer.choice.removeprefix("act:r:") if answer.choice else None
    if repeat not in {r.value for r in Repeat}:
        return Retry(ctx.reply("common.pick_option"))
    _draft(ctx).repeat = repeat
    return Goto("audience")


async def ask_audience(ctx: StepContext) -> Reply:
    choices = [
        ctx.choice("act:a:all", "activity.audience_all"),
        ctx.choice("act:a:kader", "activity.audience_kader"),
    ]
    return ctx.reply("activity.ask_audience", choices=choices)


async def take_audience(ctx: StepContext, answer: Answer) -> Outcome:
    audience = answer.choice.removeprefix("act:a:") if answer.choice else None
    if audience not in ("all", "kader"):
        return Retry(ctx.reply("common.pick_option"))
    _draft(ctx).audience = audience
    return Goto("confirm")


async def ask_confirm(ctx: StepContext) -> Reply:
    group = await _group(ctx)
    choices = [
        ctx.choice("act:save:yes", "activity.save"),
        ctx.choice("act:save:no", "common.cancel_label"),
    ]
    return ctx.reply(
        "activity.confirm",
        choices=choices,
        group=group.name,
        title=_title_with_kind(ctx),
        place=_draft(ctx).place,
        when=local_label(ctx, _first(ctx), group.timezone),
        repeat=_repeat_label(ctx, str(_draft(ctx).repeat)),
        audience=ctx.t(f"activity.audience_{_draft(ctx).audience}"),
    )


def _title_with_kind(ctx: StepContext) -> str:
    title, kind = str(_draft(ctx).title), ctx.t(f"activity.kind_{_draft(ctx).kind}")
    return title if title == kind else f"{title} ({kind})"


async def take_confirm(ctx: StepContext, answer: Answer) -> Outcome:
    """Save after a yes; the access check is repeated, whatever the draft claims."""
    if answer.choice == "act:save:no":
        return Finish([ctx.reply("common.cancelled")])
    if answer.choice != "act:save:yes":
        return Retry(ctx.reply("common.pick_yes_no"))
    group = await _group(ctx)
    if not allowed(ctx.grants, Action.MANAGE_ACTIVITIES, group):
        return Finish([ctx.reply("access.denied")])
    draft = _draft(ctx)
    activity = NewActivity(
        group_id=group.id,
        kind=str(draft.kind),
        title=str(draft.title),
        place=str(draft.place),
        first_at=_first(ctx),
        repeat=str(draft.repeat),
        audience=str(draft.audience),
    )
    user = ctx.registered_user
    activity_id = await ctx.uow.activities.create(activity, user.id, ctx.now)
    await ctx.uow.audit.record(
        actor=f"user:{user.id}",
        action="create-activity",
        subject=f"activity:{activity_id}",
        now=ctx.now,
        group=group.id,
    )
    return Finish([ctx.reply("activity.saved", title=activity.title)])


NEW = Flow(
    name="activity_new",
    first="group",
    draft=ActivityDraft,
    steps={
        "group": Step(ask_group, take_group),
        "kind": Step(ask_kind, take_kind),
        "title": Step(ask_title, take_title),
        "place": Step(ask_place, take_place),
        "when": Step(ask_when, take_when),
        "repeat": Step(ask_repeat, take_repeat),
        "audience": Step(ask_audience, take_audience),
        "confirm": Step(ask_confirm, take_confirm),
    },
)


# -- changing or cancelling one --------------------------------------------------------------
FIELDS = ("when", "title", "place", "audience")


async def managed_activities(ctx: StepContext) -> dict[int, tuple[Activity, Group]]:
    """Active activities of the groups this person manages, by id, with their group."""
    found: dict[int, tuple[Activity, Group]] = {}
    for group in await managed_groups(ctx):
        found.update((a.id, (a, group)) for a in await ctx.uow.activities.active(group.id))
    return found


async def _chosen(ctx: StepContext) -> tuple[Activity, Group] | None:
    """The activity in the draft, if the person still manages its group."""
    return (await managed_activities(ctx)).get(int(_change(ctx).activity_id))


def _changed(activity: Activity, draft: ActivityChangeDraft) -> Activity:
    """The activity as it will be once the drafted change is saved."""
    field, value = draft.field, draft.value
    if field == "when":
        return replace(activity, first_at=dt.datetime.fromisoformat(value))
    if field == "title":
        return replace(activity, title=value)
    if field == "place":
        return replace(activity, place=value)
    return replace(activity, audience=value)


def next_start(activity: Activity, group: Group, now: dt.datetime) -> dt.datetime | None:
    zone = ZoneInfo(group.timezone)
    rule = Recurrence(Repeat(activity.repeat), activity.first_at.astimezone(zone))
    coming = rule.occurrences(now, now + dt.timedelta(days=400))
    return coming[0] if coming else None


async def ask_pick(ctx: StepContext) -> Reply:
    activities = [a for a, _ in (await managed_activities(ctx)).values()][:MAX_LISTED]
    choices = [Choice(token=f"act:c:{a.id}", label=a.title[:24]) for a in activities]
    choices.append(ctx.choice("act:back", "common.back"))
    return ctx.reply(f"activity.ask_{_change(ctx).change}", choices=choices)


async def take_pick(ctx: StepContext, answer: Answer) -> Outcome:
    """Which activity (all its dates) to change or cancel."""
    if answer.choice == "act:back":
        return Finish()
    chosen = answer.choice.removeprefix("act:c:") if answer.choice else ""
    if not chosen.isdigit() or int(chosen) not in await managed_activities(ctx):
        return Retry(ctx.reply("common.pick_option"))
    _change(ctx).activity_id = int(chosen)
    return Goto("confirm" if _change(ctx).change == "cancel" else "field")


async def ask_field(ctx: StepContext) -> Reply:
    choices = [ctx.choice(f"act:f:{f}", f"activity.field_{f}") for f in FIELDS]
    return ctx.reply("activity.ask_field", choices=choices)


async def take_field(ctx: StepContext, answer: Answer) -> Outcome:
    field = answer.choice.removeprefix("act:f:") if answer.choice else None
    if field not in FIELDS:
        return Retry(ctx.reply("common.pick_option"))
    _change(ctx).field = field
    return Goto(f"new_{field}")


async def ask_new_when(ctx: StepContext) -> Reply:
    return ctx.reply("activity.ask_new_when")


async def take_new_when(ctx: StepContext, answer: Answer) -> Outcome:
    chosen = await _chosen(ctx)
    if chosen is None:
        return Finish([ctx.reply("access.denied")])
    parsed = parse_when(answer.text or "", ctx.now.astimezone(ZoneInfo(chosen[1].timezone)))
    if parsed.moment is None:
        problem = parsed.problem.value if parsed.problem else "invalid"
        return Retry(ctx.reply(f"activity.when_{problem}"))
    _change(ctx).value = parsed.moment.isoformat()
    return Goto("confirm")


async def take_new_text(ctx: StepContext, answer: Answer) -> Outcome:
    return _take_text(ctx, answer, "value", then="confirm")


async def ask_new_title(ctx: StepContext) -> Reply:
    return ctx.reply("activity.ask_new_title")


async def take_new_audience(ctx: StepContext, answer: Answer) -> Outcome:
    outcome = await take_audience(ctx, answer)
    if isinstance(outcome, Goto):
        draft = _change(ctx)
        draft.value = draft.audience or ""
        draft.forget("audience")
    return outcome


async def ask_confirm_change(ctx: StepContext) -> Reply:
    chosen = await _chosen(ctx)
    assert chosen is not None
    activity, group = chosen
    choices = [
        ctx.choice("act:x:yes", "common.answer_yes"),
        ctx.choice("act:x:no", "common.answer_no"),
    ]
    if _change(ctx).change == "cancel":
        return ctx.reply("activity.confirm_cancel", choices=choices, title=activity.title)
    changed = _changed(activity, _change(ctx))
    return ctx.reply(
        "activity.confirm_edit",
        choices=choices,
        title=changed.title,
        place=changed.place,
        when=_next_label(ctx, ctx.language, changed, group),
        audience=ctx.t(f"activity.audience_{changed.audience}"),
    )


def _next_label(ctx: StepContext, language: str, activity: Activity, group: Group) -> str:
    start = next_start(activity, group, ctx.now)
    return timefmt.local_label(ctx.texts, language, start, group.timezone) if start else "-"


async def take_confirm_change(ctx: StepContext, answer: Answer) -> Outcome:
    """After a yes: save, fix the reminders, tell those already reminded, record who did it."""
    if answer.choice == "act:x:no":
        return Finish([ctx.reply("common.cancelled")])
    if answer.choice != "act:x:yes":
        return Retry(ctx.reply("common.pick_yes_no"))
    chosen = await _chosen(ctx)
    if chosen is None:
        return Finish([ctx.reply("access.denied")])
    activity, group = chosen
    user, change = ctx.registered_user, str(_change(ctx).change)
    prefix = keys.reminder(activity.id)
    reminded = await ctx.uow.outbox.sent_recipients(prefix, keys.reminder(activity.id, ctx.now))
    after = activity
    if change == "cancel":
        await ctx.uow.activities.cancel(activity.id, ctx.now)
        await ctx.uow.outbox.withdraw(prefix, "activity cancelled")
    else:
        after = _changed(activity, _change(ctx))
        await ctx.uow.activities.update(after)
        if _change(ctx).field == "when":
            await ctx.uow.outbox.withdraw(prefix, "activity moved")
        else:  # same dates: queued reminders are rebuilt with the new words on the next tick
            await ctx.uow.outbox.discard_pending(prefix, ctx.now)
    reached = [person for person in reminded if person != user.id]
    done = DONE[change]
    for person in await ctx.uow.users.many(reached):
        await ctx.notify(
            person,
            kind=f"activity_{done}",
            key=f"activity.{done}_notice",
            dedupe_key=keys.activity_changed(activity.id, ctx.now, cancelled=change == "cancel"),
            title=after.title,
            place=after.place,
            when=_next_label(ctx, person.language, after, group),
        )
    await ctx.uow.audit.record(
        actor=f"user:{user.id}",
        action=f"{change}-activity",
        subject=f"activity:{activity.id}",
        now=ctx.now,
        field=_change(ctx).field,
        told=len(reached),
    )
    return Finish([ctx.reply(f"activity.{done}", title=activity.title, told=len(reached))])


DONE = {"cancel": "cancelled", "edit": "changed"}

CHANGE = Flow(
    name="activity_change",
    first="pick",
    draft=ActivityChangeDraft,
    steps={
        "pick": Step(ask_pick, take_pick),
        "field": Step(ask_field, take_field),
        "new_when": Step(ask_new_when, take_new_when),
        "new_title": Step(ask_new_title, take_new_text),
        "new_place": Step(ask_place, take_new_text),
        "new_audience": Step(ask_audience, take_new_audience),
        "confirm": Step(ask_confirm_change, take_confirm_change),
    },
)
