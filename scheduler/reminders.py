"""Materialise activity reminders that fall due: outbox rows with RSVP buttons.

Idempotent: each reminder's dedupe key names activity, occurrence, offset and recipient, so two
scheduler instances racing, a missed tick or a restart never send one twice. After downtime, a
reminder still due is sent if its activity has not started yet; otherwise it is dropped.
"""

from __future__ import annotations

import datetime as dt
import logging
from zoneinfo import ZoneInfo

from bot.clock import to_db
from bot.notify import notify
from bot.recurrence import Recurrence, Repeat
from bot.storage.activities import Activity
from bot.storage.database import Database, UnitOfWork
from bot.storage.records import Group, User
from bot.texts import Texts
from bot.timefmt import local_label

log = logging.getLogger(__name__)

LOOK_AHEAD = dt.timedelta(days=2)
"""Far enough to see every occurrence whose first reminder (the day before, 17:00) is due."""
DAY_BEFORE_AT = dt.time(17, 0)
HOURS_BEFORE = dt.timedelta(hours=2)


def rsvp_token(activity_id: int, start: dt.datetime, answer: str) -> str:
    return f"rsvp:{activity_id}:{int(start.timestamp())}:{answer}"


def reminder_times(start: dt.datetime) -> list[tuple[str, dt.datetime]]:
    """When to remind about an occurrence starting at `start` (aware, local time)."""
    day_before = dt.datetime.combine(
        start.date() - dt.timedelta(days=1), DAY_BEFORE_AT, start.tzinfo
    )
    return [("day_before", day_before), ("hours_before", start - HOURS_BEFORE)]


async def materialise_reminders(database: Database, texts: Texts, now: dt.datetime) -> int:
    """Queue every reminder due now whose activity has not started; returns how many rows."""
    queued = 0
    async with database.unit_of_work() as uow:
        for activity in await uow.activities.all_active():
            group = await uow.groups.get(activity.group_id)
            if group is not None:
                queued += await _remind(uow, texts, activity, group, now)
    return queued


async def _remind(
    uow: UnitOfWork, texts: Texts, activity: Activity, group: Group, now: dt.datetime
) -> int:
    zone = ZoneInfo(group.timezone)
    rule = Recurrence(Repeat(activity.repeat), activity.first_at.astimezone(zone))
    queued = 0
    for start in rule.occurrences(now, now + LOOK_AHEAD):
        due = [name for name, at in reminder_times(start) if at <= now]
        if not due:
            continue
        recipients = await _audience(uow, activity, group)
        choices = [
            (rsvp_token(activity.id, start, "yes"), "rsvp.yes"),
            (rsvp_token(activity.id, start, "no"), "rsvp.no"),
        ]
        for offset in due:
            for recipient in recipients:
                queued += await notify(
                    uow,
                    texts,
                    recipient,
                    kind="reminder",
                    key="rsvp.reminder",
                    dedupe_key=f"reminder:{activity.id}:{to_db(start)}:{offset}",
                    now=now,
                    choices=choices,
                    choices_valid_until=start,
                    params={
                        "title": activity.title,
                        "place": activity.place,
                        "when": local_label(texts, recipient.language, start, group.timezone),
                    },
                )
    return queued


async def _audience(uow: UnitOfWork, activity: Activity, group: Group) -> list[User]:
    if activity.audience == "kader":
        return await uow.users.many(await uow.roles.kader_ids(group.id))
    members = await uow.memberships.members(group.id)
    return await uow.users.many([m.user_id for m in members])
