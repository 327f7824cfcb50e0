"""Recurring activities: the next occurrences of "every Monday 08:00", "every 10th", "every
second Tuesday", in the group's time zone.

APScheduler's cron trigger computes weekly and nth-weekday rules. **Choice**: a monthly rule on
day 29-31 falls on the last day of shorter months (a kader who says "every 31st" means month-end),
which the cron trigger cannot express, so those are computed here. The database, not APScheduler's
job store, records what exists.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property

from apscheduler.triggers.cron import CronTrigger

_ORDINALS = ("1st", "2nd", "3rd", "4th")
_CRON_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class Repeat(StrEnum):
    ONCE = "once"
    WEEKLY = "weekly"  # same weekday and time every week
    MONTHLY_DAY = "monthly_day"  # same day of the month
    MONTHLY_WEEKDAY = "monthly_weekday"  # e.g. the second Tuesday


@dataclass(frozen=True)
class Recurrence:
    """A rule anchored on its first occurrence, an aware datetime in the group's time zone."""

    repeat: Repeat
    first: dt.datetime

    def occurrences(self, after: dt.datetime, until: dt.datetime) -> list[dt.datetime]:
        """Occurrences with `after` < t <= `until`, in the first occurrence's time zone."""
        found: list[dt.datetime] = []
        moment = self.first if self.first > after else self._next(after)
        while moment is not None and moment <= until:
            found.append(moment)
            moment = self._next(moment)
        return found

    def _next(self, after: dt.datetime) -> dt.datetime | None:
        if self.repeat is Repeat.ONCE:
            return None
        if self.repeat is Repeat.MONTHLY_DAY and self.first.day > 28:
            return self._next_month_end_clamped(after)
        fire: dt.datetime | None = self._trigger.get_next_fire_time(
            None, after + dt.timedelta(seconds=1)
        )
        return fire

    @cached_property
    def _trigger(self) -> CronTrigger:
        """Built once per rule: building it costs more than asking it for the next time."""
        first = self.first
        common = {
            "hour": first.hour,
            "minute": first.minute,
            "timezone": first.tzinfo,
            "start_date": first,
        }
        if self.repeat is Repeat.WEEKLY:
            return CronTrigger(day_of_week=_CRON_WEEKDAYS[first.weekday()], **common)
        if self.repeat is Repeat.MONTHLY_DAY:
            return CronTrigger(day=first.day, **common)
        nth = (first.day - 1) // 7
        ordinal = _ORDINALS[nth] if nth < len(_ORDINALS) else "last"
        return CronTrigger(day=f"{ordinal} {_CRON_WEEKDAYS[first.weekday()]}", **common)

    def _next_month_end_clamped(self, after: dt.datetime) -> dt.datetime:
        local = after.astimezone(self.first.tzinfo)
        year, month = local.year, local.month
        while True:
            day = min(self.first.day, calendar.monthrange(year, month)[1])
            candidate = self.first.replace(year=year, month=month, day=day)
            if candidate > after:
                return candidate
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
