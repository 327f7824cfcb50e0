"""Per-person limit on inbound messages, so one flooding sender cannot slow the bot for others.

Over the limit, the first message gets one polite warning and the sender is then ignored for a
while; everyone else is untouched. Kept in memory: a restart forgives everyone.
"""

from __future__ import annotations

import datetime as dt
from collections import deque
from collections.abc import Hashable
from enum import Enum


class Verdict(Enum):
    ANSWER = "answer"
    WARN = "warn"
    """Just went over the limit: tell them once."""
    IGNORE = "ignore"


class FloodGuard:
    def __init__(self, per_minute: int, pause: dt.timedelta) -> None:
        self.per_minute = per_minute
        self.pause = pause
        self._recent: dict[Hashable, deque[dt.datetime]] = {}
        self._paused_until: dict[Hashable, dt.datetime] = {}
        self._excused: set[Hashable] = set()
        self._tidy_at = _TIDY_ABOVE

    def excuse(self, sender: Hashable, excused: bool) -> None:
        """While excused (in the middle of an SOS), everything `sender` sends is answered."""
        if excused:
            self._excused.add(sender)
        else:
            self._excused.discard(sender)

    def check(self, sender: Hashable, now: dt.datetime) -> Verdict:
        """Count one message from `sender` at `now`."""
        if sender in self._excused:
            return Verdict.ANSWER
        until = self._paused_until.get(sender)
        if until is not None:
            if now < until:
                return Verdict.IGNORE
            del self._paused_until[sender]
        recent = self._recent.setdefault(sender, deque())
        while recent and now - recent[0] >= _WINDOW:
            recent.popleft()
        recent.append(now)
        if len(recent) > self.per_minute:
            recent.clear()
            self._paused_until[sender] = now + self.pause
            return Verdict.WARN
        self._forget_quiet(now)
        return Verdict.ANSWER

    def tracked(self) -> int:
        """How many senders are remembered now."""
        return len(self._recent)

    def _forget_quiet(self, now: dt.datetime) -> None:
        """Drop senders quiet for a minute, so memory follows the active senders only; done
        when the table has doubled since last time, so it costs little per message."""
        if len(self._recent) < self._tidy_at:
            return
        self._recent = {
            sender: times
            for sender, times in self._recent.items()
            if times and now - times[-1] < _WINDOW
        }
        self._paused_until = {s: t for s, t in self._paused_until.items() if now < t}
        self._tidy_at = max(_TIDY_ABOVE, 2 * len(self._recent))


_WINDOW = dt.timedelta(minutes=1)
_TIDY_ABOVE = 10_000
