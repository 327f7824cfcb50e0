"""Per-person limit on inbound messages, so one flooding sender cannot slow the bot for others.

Over the limit, the first message gets one polite warning and the sender is then ignored for a
while; everyone else is untouched. One process (SQLite) counts in memory, so a restart forgives
everyone; several processes on one PostgreSQL count together in the database
(`SharedFloodGuard`), where a person's messages are counted whichever process they reach.
"""

from __future__ import annotations

import datetime as dt
from collections import deque
from collections.abc import Hashable
from enum import Enum

from bot.base.models import Channel
from bot.storage.database import Database


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


class SharedFloodGuard:
    """`FloodGuard`'s limit counted in the database, for every process on it together: one
    statement per message (`bot.storage.floods`). A person is excused while their stored
    session is in `excused_flow` (SOS), whichever process handled their last message."""

    def __init__(
        self, database: Database, per_minute: int, pause: dt.timedelta, excused_flow: str
    ) -> None:
        self.database = database
        self.per_minute = per_minute
        self.pause = pause
        self.excused_flow = excused_flow
        self._tidy_at: dt.datetime | None = None

    async def check(self, sender: tuple[Channel, str], now: dt.datetime) -> Verdict:
        """Count one message from `sender` at `now`; once a minute, also forget the people
        quiet for a minute."""
        async with self.database.unit_of_work() as uow:
            verdict = await uow.floods.count(
                *sender,
                now,
                per_minute=self.per_minute,
                pause=self.pause,
                excused_flow=self.excused_flow,
            )
            if self._tidy_at is None or now >= self._tidy_at:
                await uow.floods.forget_quiet(now)
                self._tidy_at = now + _WINDOW
        return Verdict(verdict)

    async def tracked(self) -> int:
        """How many senders are remembered now, by every process."""
        async with self.database.unit_of_work() as uow:
            return await uow.floods.tracked()


_WINDOW = dt.timedelta(minutes=1)
_TIDY_ABOVE = 10_000
