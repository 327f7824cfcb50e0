"""After an activity: was it held, who came (tap names to tick them), and a short note.

This is the group's activity record that monthly reports will read.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from pydantic import Field

from bot.base import keys
from bot.base.models import Choice, Reply
from bot.core.conversation import (
    Answer,
    Draft,
    Finish,
    Flow,
    Goto,
    Outcome,
    Retry,
    Step,
    StepContext,
)
from bot.domain.recurrence import Recurrence, Repeat
from bot.storage.activities import Activity
from handlers.activities import MAX_LISTED, managed_activities, managed_groups
from handlers.paging import on_page, page_moves, pages_of, turned

LOOK_BACK = dt.timedelta(days=14)
MEMBERS_PER_PAGE = 8
"""Eight names, "more" and "done": the ten buttons a WhatsApp list can hold."""
NOTE_MAX = 200


class RecordDraft(Draft):
    """Recording one occurrence of an activity: held or not, and who came."""

    activity_id: int = 0
    start: dt.datetime = dt.datetime.min.replace(tzinfo=dt.UTC)
    held: bool = False
    present: list[int] = Field(default_factory=list)
    page: int = 0


def _draft(ctx: StepContext) -> RecordDraft:
    return ctx.draft_as(RecordDraft)


async def _past_occurrences(ctx: StepContext) -> dict[str, tuple[Activity, dt.datetime, str]]:
    """Unrecorded occurrences of the last two weeks, by token, with their group's zone."""
    found: dict[str, tuple[Activity, dt.datetime, str]] = {}
    for activity, group in (await managed_activities(ctx)).values():
        zone = ZoneInfo(group.timezone)
        rule = Recurrence(Repeat(activity.repeat), activity.first_at.astimezone(zone))
        for start in rule.occurrences(ctx.now - LOOK_BACK, ctx.now):
            if not await ctx.uow.activities.recorded(activity.id, start):
                token = f"att:o:{activity.id}:{int(start.timestamp())}"
                found[token] = (activity, start, group.timezone)
    return found


async def ask_occurrence(ctx: StepContext) -> Reply:
    past = list((await _past_occurrences(ctx)).items())[-(MAX_LISTED - 1) :]
    choices = [
        Choice(token=token, label=f"{a.title[:13]} {start.astimezone(ZoneInfo(zone)):%d-%m}")
        for token, (a, start, zone) in past
    ]
    choices.append(ctx.choice("att:back", "common.back"))
    return ctx.reply("attendance.ask_occurrence" if past else "attendance.nothing", choices=choices)


async def take_occurrence(ctx: StepContext, answer: Answer) -> Outcome:
    """Which past activity to record."""
    if answer.choice == "att:back":
        return Finish()
    past = await _past_occurrences(ctx)
    if answer.choice not in past:
        return Retry(ctx.reply("common.pick_option"))
    activity, start, _ = past[answer.choice]
    ctx.draft = RecordDraft(activity_id=activity.id, start=start)
    return Goto("held")


async def ask_held(ctx: StepContext) -> Reply:
    choices = [
        ctx.choice("att:held:yes", "common.answer_yes"),
        ctx.choice("att:held:no", "common.answer_no"),
    ]
    return ctx.reply("attendance.ask_held", choices=choices)


async def take_held(ctx: StepContext, answer: Answer) -> Outcome:
    if answer.choice not in ("att:held:yes", "att:held:no"):
        return Retry(ctx.reply("common.pick_yes_no"))
    _draft(ctx).held = answer.choice == "att:held:yes"
    return Goto("who" if _draft(ctx).held else "note")


async def _members(ctx: StepContext) -> list[tuple[int, str]]:
    activity = await ctx.uow.activities.get(_draft(ctx).activity_id)
    assert activity is not None
    return [(m.user_id, m.name) for m in await ctx.uow.memberships.members(activity.group_id)]


async def ask_who(ctx: StepContext) -> Reply:
    members = await _members(ctx)
    pages = pages_of(len(members), MEMBERS_PER_PAGE)
    page = on_page(_draft(ctx).page, pages)
    present = set(_draft(ctx).present)
    shown = members[page * MEMBERS_PER_PAGE : (page + 1) * MEMBERS_PER_PAGE]
    choices = [
        Choice(
            token=keys.attendee_token(uid), label=f"{'✅' if uid in present else '⬜'} {name[:16]}"
        )
        for uid, name in shown
    ]
    choices += page_moves(ctx, "att:", page, pages)
    choices.append(ctx.choice("att:done", "attendance.done"))
    return ctx.reply("attendance.ask_who", choices=choices, count=len(present))


async def take_who(ctx: StepContext, answer: Answer) -> Outcome:
    """Tap a name to tick or untick it; "done" when everyone present is ticked."""
    if answer.choice == "att:done":
        return Goto("note")
    page = turned(answer.choice, "att:", _draft(ctx).page)
    if page is not None:
        _draft(ctx).page = page
        return Goto("who")
    member_ids = {uid for uid, _ in await _members(ctx)}
    chosen = answer.choice.removeprefix("att:u:") if answer.choice else ""
    if not chosen.isdigit() or int(chosen) not in member_ids:
        return Retry(ctx.reply("common.pick_option"))
    present = set(_draft(ctx).present) ^ {int(chosen)}
    _draft(ctx).present = sorted(present)
    return Goto("who")


async def ask_note(ctx: StepContext) -> Reply:
    return ctx.reply("attendance.ask_note", choices=[ctx.choice("att:note:skip", "sos.skip")])


async def take_note(ctx: StepContext, answer: Answer) -> Outcome:
    """A short note, or none; then save, checking again who may."""
    note = "" if answer.choice == "att:note:skip" else " ".join((answer.text or "").split())
    if answer.choice != "att:note:skip" and not 1 <= len(note) <= NOTE_MAX:
        return Retry(ctx.reply("attendance.note_invalid", max=NOTE_MAX))
    activity = await ctx.uow.activities.get(_draft(ctx).activity_id)
    managed = {g.id for g in await managed_groups(ctx)}
    if activity is None or activity.group_id not in managed:
        return Finish([ctx.reply("access.denied")])
    user = ctx.registered_user
    draft = _draft(ctx)
    present = draft.present if draft.held else []
    start = draft.start
    await ctx.uow.activities.record(
        activity.id, start, held=_draft(ctx).held, note=note, attendees=present,
        recorded_by=user.id, now=ctx.now,
    )  # fmt: skip
    await ctx.uow.audit.record(
        actor=f"user:{user.id}", action="record-activity", subject=f"activity:{activity.id}",
        now=ctx.now, held=_draft(ctx).held, attended=len(present),
    )  # fmt: skip
    key = "attendance.saved" if _draft(ctx).held else "attendance.saved_not_held"
    return Finish([ctx.reply(key, title=activity.title, count=len(present))])


FLOW = Flow(
    name="activity_record",
    first="occurrence",
    steps={
        "occurrence": Step(ask_occurrence, take_occurrence),
        "held": Step(ask_held, take_held),
        "who": Step(ask_who, take_who),
        "note": Step(ask_note, take_note),
    },
    draft=RecordDraft,
)
