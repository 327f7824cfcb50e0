"""What a Pos UKK group achieved in one month, computed from what the bot saw.

The formulas are written out in docs/indicators.md; each field's docstring names its rule.
A month is the group's local calendar month.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from bot.domain.recurrence import Recurrence, Repeat
from bot.storage.database import UnitOfWork
from bot.storage.records import Group

ACTIVE_DAYS = 60
"""A member is active who wrote to the bot, answered a reminder or attended in this many days."""
FOLLOW_UP_HOURS = 24


@dataclass(frozen=True)
class MonthIndicators:
    group: Group
    month: dt.date
    """The first day of the month."""
    members: int
    """Members at the end of the month."""
    active_members: int
    """Of those, active in the last `ACTIVE_DAYS` days of the month."""
    kader: int
    """Kader of the group at the end of the month."""
    activities_planned: int
    """Occurrences of the group's scheduled activities in the month (not cancelled before)."""
    activities_held: int
    """Occurrences a kader recorded as held."""
    attendances: int
    """People recorded present, summed over the held occurrences."""
    injuries: int
    near_misses: int
    followed_up: int
    """Injury reports of the month a kader or officer acted on within `FOLLOW_UP_HOURS`."""
    referrals: int
    """Reports referred to the Puskesmas or hospital during the month."""
    followups_asked: int
    """"How is the injury?" questions delivered during the month."""
    followups_answered: int
    broadcast_messages: int
    """Broadcast messages delivered to the group's members during the month."""
    broadcasts_read: int
    """Of those, known to be read: only WhatsApp reports reading (`broadcasts_trackable`)."""
    broadcasts_trackable: int
    injuries_by_topic: dict[str, int] = field(default_factory=dict)
    """Injury reports of the month per first-aid topic id ("" when none was matched)."""
    until: dt.datetime | None = None
    """Set (in the group's time zone) when only the start of the month was counted, up to this
    moment: a month still in progress, or the same stretch of an earlier month to compare with."""

    @property
    def active_share(self) -> float | None:
        return self.active_members / self.members if self.members else None

    @property
    def attendance_rate(self) -> float | None:
        """Attendances over (held occurrences x members): the average share of members present."""
        seats = self.activities_held * self.members
        return self.attendances / seats if seats else None

    @property
    def followed_up_share(self) -> float | None:
        return self.followed_up / self.injuries if self.injuries else None

    @property
    def read_share(self) -> float | None:
        return (
            self.broadcasts_read / self.broadcasts_trackable if self.broadcasts_trackable else None
        )


def month_bounds(group: Group, month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """Start and end (exclusive) of a calendar month in the group's time zone."""
    zone = ZoneInfo(group.timezone)
    start = dt.datetime(month.year, month.month, 1, tzinfo=zone)
    following = dt.datetime(month.year + month.month // 12, month.month % 12 + 1, 1, tzinfo=zone)
    return start, following


async def month_indicators(
    uow: UnitOfWork, group: Group, month: dt.date, until: dt.datetime | None = None
) -> MonthIndicators:
    """The group's indicators for `month`, counted up to `until` if that falls inside it."""
    start, end = month_bounds(group, month)
    if until is not None and until < end:
        until = max(until, start).astimezone(start.tzinfo)
        end = until
    else:
        until = None
    counts = await uow.recaps.counts(
        group.id,
        start,
        end,
        dt.timedelta(days=ACTIVE_DAYS),
        dt.timedelta(hours=FOLLOW_UP_HOURS),
    )
    planned = 0
    for activity in await uow.recaps.activities_until(group.id, end):
        rule = Recurrence(Repeat(activity.repeat), activity.first_at.astimezone(start.tzinfo))
        stop = min(end, activity.cancelled_at) if activity.cancelled_at else end
        planned += sum(1 for at in rule.occurrences(start - _TICK, stop) if at < stop)
    return MonthIndicators(
        group=group,
        month=month.replace(day=1),
        activities_planned=planned,
        injuries_by_topic=await uow.recaps.injuries_by_topic(group.id, start, end),
        until=until,
        **counts,
    )


_TICK = dt.timedelta(microseconds=1)
"""`Recurrence.occurrences` starts after its bound; this makes the month's first instant count."""


def local_month(moment: dt.datetime, zone: str) -> dt.date:
    """The first day of the month `moment` falls in, in `zone`."""
    return moment.astimezone(ZoneInfo(zone)).date().replace(day=1)
