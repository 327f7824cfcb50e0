"""Materialise activity reminders that fall due: outbox rows with RSVP buttons.

Idempotent: each reminder's dedupe key names activity, occurrence, offset and recipient, so two
scheduler instances racing, a missed tick or a restart never send one twice. After downtime, a
reminder still due is sent if its activity has not started yet; otherwise it is dropped.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from zoneinfo import ZoneInfo

from bot.base import keys
from bot.base.clock import to_db
from bot.base.models import Reply
from bot.base.texts import Texts
from bot.base.timefmt import local_label
from bot.core.notify import notify, post_to_group_chats
from bot.domain.recurrence import Recurrence, Repeat
from bot.storage.activities import Activity
from bot.storage.database import Database, UnitOfWork
from bot.storage.records import Group, GroupChat, Member, User

log = logging.getLogger(__name__)

Write = Callable[[UnitOfWork], Awaitable[int]]
"""One row to write (a reminder, a group-chat post, a missed reminder), in a given transaction;
returns how many messages it queued."""

DEFAULT_OFFSETS = "1d@17:00,2h"
"""The day before at 17:00 local time, and 2 hours before."""
_OFFSET = re.compile(r"^(\d{1,2})(d@(\d{2}):(\d{2})|h|m)$")


DROPPED = "dropped: the activity had started when the bot could send it"
WRITES_PER_TRANSACTION = 20
"""Reminder rows written in one transaction: about 10 ms of the write lock at a time."""
LOOK_FOR_NEXT = dt.timedelta(days=62)
"""How far ahead a next reminder is looked for (a monthly rule has one within two months)."""


@dataclass(frozen=True)
class Offset:
    """`Nd@HH:MM` (N days before, at that local time), `Nh` or `Nm` before the start."""

    spec: str

    @classmethod
    def parse_all(cls, text: str) -> list[Offset]:
        offsets = [cls(part.strip()) for part in text.split(",") if part.strip()]
        if not offsets or not all(_OFFSET.match(offset.spec) for offset in offsets):
            raise ValueError(f"reminder offsets {text!r}: use e.g. 1d@17:00,2h,30m")
        return offsets

    def _parts(self) -> re.Match[str]:
        found = _OFFSET.match(self.spec)
        assert found is not None
        return found

    def remind_at(self, start: dt.datetime) -> dt.datetime:
        """When to remind about an occurrence starting at `start` (aware, local time)."""
        found = self._parts()
        amount, unit = int(found.group(1)), found.group(2)
        if unit == "h":
            return start - dt.timedelta(hours=amount)
        if unit == "m":
            return start - dt.timedelta(minutes=amount)
        at = dt.time(int(found.group(3)), int(found.group(4)))
        return dt.datetime.combine(start.date() - dt.timedelta(days=amount), at, start.tzinfo)

    def reach(self) -> dt.timedelta:
        """At most how long before its start this reminder comes."""
        found = self._parts()
        amount, unit = int(found.group(1)), found.group(2)
        if unit.startswith("d"):
            return dt.timedelta(days=amount + 1)
        return dt.timedelta(hours=amount) if unit == "h" else dt.timedelta(minutes=amount)


async def materialise_reminders(
    database: Database, texts: Texts, now: dt.datetime, offsets: str = DEFAULT_OFFSETS
) -> int:
    """Queue every reminder due now whose activity has not started; returns how many rows.

    Only the activities whose next reminder time (`activities.remind_at`) has come are read.
    Each is planned in one short transaction and its rows written `WRITES_PER_TRANSACTION` at a
    time, so a tick never holds the write lock for long (it held it about a second at 2,000
    groups when it read every activity and wrote every reminder in one). Every row has its dedupe
    key, so a crash part way, a racing scheduler or the next tick writes each at most once.
    """
    parsed = Offset.parse_all(offsets)
    async with database.unit_of_work() as uow:
        due = await uow.activities.due_for_reminders(now)
    queued = 0
    for activity_id in due:
        queued += await _remind_one(database, texts, activity_id, now, parsed)
    return queued


async def forget_remind_times(database: Database) -> None:
    """At start: every activity's next reminder time is worked out again at the first tick, as
    the configured reminder times or a group's time zone may have changed meanwhile."""
    async with database.unit_of_work() as uow:
        await uow.activities.forget_remind_times()


async def _remind_one(
    database: Database, texts: Texts, activity_id: int, now: dt.datetime, offsets: list[Offset]
) -> int:
    """Queue one activity's due reminders, then store when its next one falls due (unless the
    activity was moved meanwhile: then the next tick works it out again)."""
    async with database.unit_of_work() as uow:
        activity = await uow.activities.get(activity_id)
        group = await uow.groups.get(activity.group_id) if activity is not None else None
        if activity is None or group is None:
            return 0  # cancelled since the tick began
        zone = ZoneInfo(group.timezone)
        rule = Recurrence(Repeat(activity.repeat), activity.first_at.astimezone(zone))
        writes = await _planned(uow, texts, activity, group, rule, now, offsets)
    queued = 0
    for first in range(0, len(writes), WRITES_PER_TRANSACTION):
        async with database.unit_of_work() as uow:
            for write in writes[first : first + WRITES_PER_TRANSACTION]:
                queued += await write(uow)
    async with database.unit_of_work() as uow:
        next_due = _next_due(rule, now, offsets)
        await uow.activities.set_remind_at(activity.id, next_due, activity.first_at)
    return queued


def _next_due(rule: Recurrence, now: dt.datetime, offsets: list[Offset]) -> dt.datetime:
    """The first moment after `now` when a reminder of this rule falls due (or, if none does
    within `LOOK_FOR_NEXT`, that far ahead, to look again)."""
    horizon = now + LOOK_FOR_NEXT
    later = [
        at
        for start in rule.occurrences(now, horizon + max(offset.reach() for offset in offsets))
        for offset in offsets
        if now < (at := offset.remind_at(start))
    ]
    return min(later, default=horizon)


async def _planned(
    uow: UnitOfWork,
    texts: Texts,
    activity: Activity,
    group: Group,
    rule: Recurrence,
    now: dt.datetime,
    offsets: list[Offset],
) -> list[Write]:
    """One activity's due reminders to queue and missed ones to record, as writes.

    Most ticks find every reminder in the window already queued or recorded: the keys already
    written are read once (one index range), so only new ones are planned. The inserts still
    skip duplicates, so a scheduler racing this one is harmless.
    """
    look_ahead = max(offset.reach() for offset in offsets)
    window = rule.occurrences(now - look_ahead, now + look_ahead)
    missed = [start for start in window if start <= now]
    due = [
        (start, specs)
        for start in window[len(missed) :]
        if (specs := [offset.spec for offset in offsets if offset.remind_at(start) <= now])
    ]
    if not missed and not due:
        return []
    first = missed[0] if missed else due[0][0]
    written = await uow.outbox.keys(keys.reminder(activity.id), keys.reminder(activity.id, first))
    members = await uow.memberships.members(group.id)
    recipients = await _audience(uow, activity, members)
    joined = {member.user_id: member.joined_at for member in members}
    writes = _drops(activity, missed, offsets, recipients, joined, written)
    # A kader meeting is not announced to the whole group chat.
    chats = [] if activity.audience == "kader" else await uow.group_chats.of_group(group.id)
    for start, specs in due:
        for spec in specs:
            event = keys.reminder_at(activity.id, start, spec)
            writes += [
                partial(_reminder, texts, activity, group, start, event, recipient, now)
                for recipient in recipients
                if keys.recipient_key(event, recipient.id) not in written
            ]
            unposted = [chat for chat in chats if keys.chat_key(event, chat.id) not in written]
            if unposted:
                post = partial(_chat_reminder, texts, activity, group, start)
                writes.append(partial(_post, unposted, post, event, now))
    return writes


async def _reminder(
    texts: Texts,
    activity: Activity,
    group: Group,
    start: dt.datetime,
    event: str,
    recipient: User,
    now: dt.datetime,
    uow: UnitOfWork,
) -> int:
    """Queue one person's reminder of one occurrence, with its RSVP buttons."""
    return await notify(
        uow,
        texts,
        recipient,
        kind="reminder",
        key="rsvp.reminder",
        dedupe_key=event,
        now=now,
        choices=[
            (keys.rsvp(activity.id, start, "yes"), "rsvp.yes"),
            (keys.rsvp(activity.id, start, "no"), "rsvp.no"),
        ],
        choices_valid_until=start,
        params={
            "title": activity.title,
            "place": activity.place,
            "when": local_label(texts, recipient.language, start, group.timezone),
        },
    )


async def _post(
    chats: list[GroupChat],
    render: Callable[[str], Reply],
    event: str,
    now: dt.datetime,
    uow: UnitOfWork,
) -> int:
    """Post one occurrence's reminder in the group's linked chats not posted to yet."""
    return await post_to_group_chats(uow, chats, render, kind="reminder", dedupe_key=event, now=now)


def _chat_reminder(
    texts: Texts, activity: Activity, group: Group, start: dt.datetime, language: str
) -> Reply:
    """The reminder as posted in the group chat: no answer buttons, no names."""
    when = local_label(texts, language, start, group.timezone)
    text = texts.get(
        language, "chat.reminder", title=activity.title, place=activity.place, when=when
    )
    return Reply(key="chat.reminder", text=text)


def _drops(
    activity: Activity,
    starts: list[dt.datetime],
    offsets: list[Offset],
    recipients: list[User],
    joined: dict[int, dt.datetime],
    written: set[str],
) -> list[Write]:
    """Record (once) and log each reminder of occurrences that started before it was sent.

    Only people who were already in the group (`joined`: when) when the reminder fell due
    count as missed.
    """
    writes: list[Write] = []
    for start in starts:
        for offset in offsets:
            remind_at = offset.remind_at(start)
            event = keys.reminder_at(activity.id, start, offset.spec)
            writes += [
                partial(_drop, activity, start, offset, key, recipient)
                for recipient in recipients
                if (key := keys.recipient_key(event, recipient.id)) not in written
                and joined.get(recipient.id, remind_at) <= remind_at
            ]
    return writes


async def _drop(
    activity: Activity,
    start: dt.datetime,
    offset: Offset,
    key: str,
    recipient: User,
    uow: UnitOfWork,
) -> int:
    """Record one missed reminder; log it the first time. Queues nothing (0)."""
    dropped = await uow.outbox.record_dropped(
        user_id=recipient.id, kind="reminder", dedupe_key=key, now=start, reason=DROPPED
    )
    if dropped:
        log.warning(
            "reminder dropped: activity %s at %s, offset %s, user %s (the bot was down)",
            activity.id,
            to_db(start),
            offset.spec,
            recipient.id,
        )
    return 0


async def _audience(uow: UnitOfWork, activity: Activity, members: list[Member]) -> list[User]:
    """Who is reminded: the group's kader, or all its current `members`."""
    if activity.audience == "kader":
        return await uow.users.many(await uow.roles.kader_ids(activity.group_id))
    return await uow.users.many([m.user_id for m in members])
