"""The platforms' limits for every process on one database together (PostgreSQL).

**Choice**: one timeline per channel in the database (`bot.storage.pace`) rather than each
process pacing at the cap divided by the processes it sees alive. A process reserves a quarter
of a second of sending time at a time and fills it at the full rate; reservations never
overlap, so the processes together never exceed the cap, whichever of them have work, and a
process that stops (or dies) simply reserves nothing more: its share is the others' at once,
with no heartbeat, no count of live processes and no setting. It costs one short statement per
reservation (4 a second per sending process at most, at any rate).

A chat's rows are with one process at a time (`bot.storage.outbox.Holder`), so the spacing
and the order of its messages hold as in one process.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from bot.base.models import Channel
from bot.storage.database import Database
from bot.storage.outbox import Holder
from bot.storage.sql import Backend
from scheduler.pacing import Answering, Lane, RateLimit

log = logging.getLogger(__name__)

SPAN_SECONDS = 0.25
"""Sending time reserved at once: short, so the processes' turns interleave finely (a combined
rate measured over a second stays at the cap) and a stopped process leaves little unused."""
SAME_MOMENT = 1e-5
"""Seconds within which two moments of the timeline are one (float rounding)."""


class SharedPacer:
    """The overall rate on the database's timeline for `channel`: each send starts in a span
    this process reserved there, at the full rate within it.

    The timeline is the database server's clock, so the processes' clocks need not agree; a
    span is placed on the process's monotonic clock as "starts in so many seconds"."""

    def __init__(
        self,
        database: Database,
        channel: Channel,
        per_second: float,
        monotonic: Callable[[], float],
        sleep: Callable[[float], Awaitable[None]],
        span: float = SPAN_SECONDS,
    ) -> None:
        self.database = database
        self.channel = channel
        self.per_second = per_second
        self.monotonic = monotonic
        self.sleep = sleep
        self.span = span
        self._next = 0.0
        """Where the next slot of the reserved span starts (monotonic)."""
        self._end = 0.0
        """Where the reserved span ends."""
        self._timeline_end = 0.0
        """Where it ends on the timeline. A span reserved right after it (no other process
        reserved in between) starts where it ended here too: the same moment in real time,
        and the right one under a test's simulated clock, which the server's does not follow."""
        self._reserving = asyncio.Lock()
        self._holding: set[asyncio.Task[None]] = set()

    def hold(self, seconds: float) -> None:
        """Reserve the next `seconds` of the timeline and send nothing in them: a retry-after
        from the platform is for the bot (every process), not for the one that got it. The
        others' spans already reserved still run (a quarter of a second at most)."""
        task = asyncio.get_running_loop().create_task(self._hold(seconds))
        self._holding.add(task)
        task.add_done_callback(self._holding.discard)

    async def _hold(self, seconds: float) -> None:
        try:
            async with self._reserving, self.database.unit_of_work() as uow:
                await uow.pace.reserve(self.channel, seconds)
        except Exception:
            log.exception("could not hold the other processes' sends to %s", self.channel)

    async def take(self, slots: float) -> None:
        cost = slots / self.per_second
        async with self._reserving:
            start = max(self._next, self.monotonic())  # the span's past is gone unused
            if start + cost > self._end + SAME_MOMENT:
                length = max(cost, self.span)
                async with self.database.unit_of_work() as uow:
                    reserved = await uow.pace.reserve(self.channel, length)
                if abs(reserved.starts - self._timeline_end) < SAME_MOMENT:
                    self._end = max(self._end, start) + length  # right after its last one
                else:
                    start = self.monotonic() + reserved.starts_in
                    self._end = start + length
                self._timeline_end = reserved.starts + length
            self._next = start + cost
        wait = start - self.monotonic()
        if wait > 0:
            await self.sleep(wait)


def several_processes(database: Database) -> bool:
    """Whether other processes may send from the same outbox (PostgreSQL)."""
    return database.backend is Backend.POSTGRESQL


def sending_lane(
    database: Database,
    channel: Channel,
    limit: RateLimit,
    monotonic: Callable[[], float],
    sleep: Callable[[float], Awaitable[None]],
    answering: Answering | None = None,
) -> Lane:
    """A channel's lane, paced with the other processes when there may be any; its broadcast
    sends wait for `answering`."""
    if not several_processes(database):
        return Lane(limit, monotonic, sleep, answering=answering)
    pacer = SharedPacer(database, channel, limit.per_second, monotonic, sleep)
    return Lane(limit, monotonic, sleep, pacer, answering)


def claim_holder(database: Database, limit: RateLimit) -> Holder | None:
    """How this process claims a channel's rows when other processes may claim them too."""
    if not several_processes(database):
        return None
    return Holder(database.process_name, limit.per_chat_interval, limit.per_group_chat_interval)
