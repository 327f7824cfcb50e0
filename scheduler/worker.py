"""The delivery worker: drains the outbox continuously, woken at once when a handler queues work.

**Choice**: outbox delivery is a queue consumer, not a calendar job, so it runs as its own asyncio
task with a wake-up event and a one-second heartbeat (which also picks up rows whose `not_before`
or lease has passed). APScheduler runs the periodic jobs that queue work (`scheduler.periodic`);
follow-ups are outbox rows written with the report, due at their `not_before`.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.base.clock import utc_now
from scheduler.delivery import OutboxDelivery

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 1.0


@dataclass(frozen=True)
class DeliveryTime:
    """The clocks of delivery in `posukk run`: the real ones. Tests of retry-after storms run
    them faster (`tests/channels/conftest.fast_delivery`), so a platform's pause of seconds
    takes milliseconds."""

    clock: Callable[[], dt.datetime] = utc_now
    monotonic: Callable[[], float] = time.monotonic
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    heartbeat: float = HEARTBEAT_SECONDS
    """Real seconds between two passes when nothing wakes the worker."""


REAL_TIME = DeliveryTime()


class DeliveryWorker:
    def __init__(self, delivery: OutboxDelivery, heartbeat: float = HEARTBEAT_SECONDS) -> None:
        self.delivery = delivery
        self.heartbeat = heartbeat
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def nudge(self) -> None:
        """Something was queued: deliver now rather than at the next heartbeat."""
        self._wake.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="outbox-delivery")

    async def stop(self) -> None:
        """Finish the message in hand, then stop; unsent rows stay in the outbox for next time."""
        if self._task is None:
            return
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task

    async def _run(self) -> None:
        while True:
            try:
                stats = await self.delivery.deliver_all(batches=None)
            except Exception:
                log.exception("outbox delivery pass failed; retrying at the next heartbeat")
                stats = None
            if stats is not None and stats.sent:
                continue
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.heartbeat)
