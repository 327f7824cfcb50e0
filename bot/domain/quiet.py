"""When a non-urgent message may reach someone: not in their quiet hours, not while they are away.

Quiet hours are local to the person's group (East Kalimantan: WITA); urgent kinds (SOS, emergency
alerts) ignore both rules.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class QuietHours:
    start: dt.time
    end: dt.time

    @classmethod
    def parse(cls, text: str) -> QuietHours:
        """`"21:00-05:00"`; a window may cross midnight."""
        start, end = (dt.time.fromisoformat(part.strip()) for part in text.split("-"))
        return cls(start, end)

    def contains(self, local: dt.time) -> bool:
        if self.start <= self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def next_end(self, local_now: dt.datetime) -> dt.datetime:
        """The first moment at or after `local_now` when the window is over."""
        end = local_now.replace(hour=self.end.hour, minute=self.end.minute, second=0, microsecond=0)
        return end if end > local_now else end + dt.timedelta(days=1)


def deliverable_from(
    now: dt.datetime,
    *,
    urgent: bool,
    quiet: QuietHours,
    timezone: str,
    away_until: dt.datetime | None,
) -> dt.datetime | None:
    """None if the message may go now; otherwise the earliest time it may (UTC)."""
    if urgent:
        return None
    later = now
    if away_until is not None and away_until > later:
        later = away_until
    local = later.astimezone(ZoneInfo(timezone))
    if quiet.contains(local.time()):
        later = quiet.next_end(local).astimezone(dt.UTC)
    return None if later == now else later
