"""One channel's sending lane: the platform's limits, and several sends under way at once.

Against a platform that answers in 100-300 ms, one message at a time reaches a third of the
allowed rate; so a lane starts each send at its paced moment and lets up to `in_flight` of them
run side by side. What it keeps: the overall rate (a send starts no earlier than its slot), the
spacing between two messages to one chat (counted from the start of the earlier send), the order
of one chat's messages (a send starts only once the chat's previous one has finished), and a
pause the platform asked for (no new send starts before it ends).

Broadcast sends also give way to the answers to people writing in, which share the event loop
and the database. While someone's message is being answered (`Answering`, the inbox), no
broadcast send starts: for at most `MAX_HOLD`, after which broadcast sends go on without
waiting for as long again, so answers coming one after another take at most half the
broadcast's time. And before one starts, the lane lets the loop take a turn and times it. A long
turn means other work is waiting behind the sends, so fewer broadcast sends may be under way
(halved); a short one lets one more go (up to the window). At the platforms' real caps the loop
is mostly idle and the window stays open; flat out, the broadcast takes only what the answers
leave.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

log = logging.getLogger(__name__)

ROUND_TRIP = 0.5
"""Seconds a platform may take to answer with the lane still at full rate, when the number of
sends under way is derived from the rate (Telegram from Indonesia: 100-300 ms)."""
MIN_IN_FLIGHT, MAX_IN_FLIGHT = 4, 400
"""The derived window covers the rates at half-second answers (15 on Telegram, 40 on WhatsApp,
400 on Telegram's paid broadcasts at 1,000/s). Broadcast sends beyond what the event loop can
take give way (below), so a large window does not slow down the answers to people writing in.
It stays within the Telegram client's connection pool (512, `bot.channels.telegram`); pywa's
httpx pool holds 100, so on a WhatsApp tier above 200/s the sends beyond it wait for a
connection (within the client's 30 s timeout)."""
BUSY_TURN = 0.002
"""Seconds one turn of the event loop may take before broadcast sends give way: a longer turn
means callbacks (answers to people writing in, or the sends' own) are queueing on the loop."""
MAX_HOLD = 0.1
"""Seconds a broadcast send waits at most for the answers under way (an answer takes about
10 ms on an idle bot)."""


@dataclass(frozen=True)
class RateLimit:
    """`per_second` overall, and at least `per_chat_interval` seconds between two messages to
    one person, `per_group_chat_interval` to one group chat (Telegram: about 30/s overall,
    1/s per private chat, 20/min per group)."""

    per_second: float
    per_chat_interval: float = 0.0
    per_group_chat_interval: float = 0.0
    bulk_share: float = 0.8
    """Broadcast rows use at most this share of `per_second`, so the messages adapters send
    straight back to people writing in (which skip the outbox) still find room."""
    in_flight: int | None = None
    """Sends under way at once; None: enough for `per_second` at a `ROUND_TRIP` answer time."""

    def interval(self, *, group_chat: bool) -> float:
        """The least time between two messages to one chat."""
        return self.per_group_chat_interval if group_chat else self.per_chat_interval

    def window(self) -> int:
        """How many sends may be under way at once."""
        if self.in_flight is not None:
            return self.in_flight
        wanted = math.ceil(self.per_second * ROUND_TRIP)
        return max(MIN_IN_FLIGHT, min(MAX_IN_FLIGHT, wanted))


class Answering(Protocol):
    """The side that answers people writing in (`bot.core.inbox.Inbox`)."""

    async def quiet(self, within: float) -> bool:
        """Wait until nobody's message is being answered, for at most `within` seconds; whether
        nobody's is."""


class Pacer(Protocol):
    """When the next send may start, for the overall rate."""

    async def take(self, slots: float) -> None:
        """Return at the moment a send that takes `slots` of the rate's slots may start."""

    def hold(self, seconds: float) -> None:
        """The platform asked for a pause of `seconds`: hold the others sharing the rate too."""


class LocalPacer:
    """The rate of one process: the n-th slot of a busy stretch starts at origin + n / per_second.

    Slots are computed, not summed, so rounding never lets one extra message into a second.
    """

    def __init__(
        self,
        per_second: float,
        monotonic: Callable[[], float],
        sleep: Callable[[float], Awaitable[None]],
    ) -> None:
        self.per_second = per_second
        self.monotonic = monotonic
        self.sleep = sleep
        self._origin = 0.0
        self._count = 0.0

    def hold(self, seconds: float) -> None:
        """Nothing to do: the lane holds its own sends (`Lane.pause`), and nobody shares them."""

    async def take(self, slots: float) -> None:
        now = self.monotonic()
        slot = self._origin + self._count / self.per_second
        if slot < now:  # idle since the last stretch: start a new one now
            self._origin, self._count, slot = now, 0.0, now
        self._count += slots
        if slot > now:
            await self.sleep(slot - now)


class Lane:
    """The sends of one channel: paced, spaced per chat, in order per chat, at most
    `limit.window()` under way, and held while the platform asked for a pause."""

    def __init__(
        self,
        limit: RateLimit,
        monotonic: Callable[[], float],
        sleep: Callable[[float], Awaitable[None]],
        pacer: Pacer | None = None,
        answering: Answering | None = None,
    ) -> None:
        """`pacer` keeps the overall rate (by default this lane's own, `LocalPacer`);
        broadcast sends wait for `answering`."""
        self.limit = limit
        self._answering = answering
        self._unheld_until = 0.0
        """Until when (`time.monotonic`) broadcast sends go without waiting for the answers."""
        self.monotonic = monotonic
        self.sleep = sleep
        self.paused_until = 0.0
        self._pacer = pacer or LocalPacer(limit.per_second, monotonic, sleep)
        self._window = asyncio.Semaphore(limit.window())
        self._under_way: set[asyncio.Task[None]] = set()
        self._bulk_under_way: set[asyncio.Task[None]] = set()
        self._window_size = limit.window()
        self._bulk_window = self._window_size
        """How many broadcast sends may be under way now: shrinks while the loop is busy."""
        self._last_of_chat: dict[str, asyncio.Task[None]] = {}
        self._fatal: BaseException | None = None
        """What ended a send that no handler may swallow (the process is going down)."""
        self.last_to_chat: OrderedDict[str, float] = OrderedDict()
        """When each chat's last send started, oldest first, for as long as that still matters:
        a broadcast to 100,000 people would otherwise leave 100,000 entries (12 MB) behind."""

    def paused(self) -> bool:
        return self.monotonic() < self.paused_until

    def pause(self, seconds: float) -> None:
        """The platform asked to slow down: no send starts for `seconds`."""
        self.paused_until = max(self.paused_until, self.monotonic() + seconds)
        self._pacer.hold(seconds)

    def too_soon(self, chat: str, *, group_chat: bool) -> float:
        """Seconds until `chat` may get its next message (0 if now)."""
        interval = self.limit.interval(group_chat=group_chat)
        since_last = self.monotonic() - self.last_to_chat.get(chat, -math.inf)
        return max(0.0, interval - since_last)

    async def start(self, chat: str, send: Callable[[], Awaitable[None]], *, bulk: bool) -> bool:
        """Start `send` (the platform call and the writing of its outcome) at the next paced
        moment, once fewer than the window are under way; False (and nothing started) if the
        lane was paused meanwhile."""
        self._stop_if_fatal()
        previous = self._last_of_chat.get(chat)
        if previous is not None:  # the chat's earlier message first, whatever its fate
            await asyncio.wait({previous})
        await self._window.acquire()
        try:
            # Every hold before the slot: a slot taken and then held would go out late, in a
            # span another process reserved on the shared timeline (or bunched with the sends
            # after it), and the cap would not hold at the platform.
            if bulk:
                await self._after_the_answers()
                await self._give_way()
            await self._wait_for_slot(bulk=bulk)
        except BaseException:
            self._window.release()
            raise
        if self.paused():
            self._window.release()
            return False
        self._started(chat, self.monotonic())
        task = asyncio.create_task(self._run(send))
        self._under_way.add(task)
        if bulk:
            self._bulk_under_way.add(task)
        self._last_of_chat[chat] = task
        task.add_done_callback(lambda done: self._finished(chat, done))
        return True

    async def drain(self, within: float | None = None) -> None:
        """Wait for the sends under way; after `within` seconds, cancel those still waiting."""
        if self._under_way:
            _, late = await asyncio.wait(set(self._under_way), timeout=within)
            for task in late:
                task.cancel()
            if late:
                await asyncio.wait(late)
        self._stop_if_fatal()

    def _stop_if_fatal(self) -> None:
        """Raise what ended a send and must end delivery too, cancelling the other sends."""
        if self._fatal is None:
            return
        for task in self._under_way:
            task.cancel()
        fatal, self._fatal = self._fatal, None
        raise fatal

    async def _run(self, send: Callable[[], Awaitable[None]]) -> None:
        try:
            await send()
        except Exception:
            log.exception("a send failed unexpectedly; its row is retried when its lease ends")
        finally:
            self._window.release()

    async def _after_the_answers(self) -> None:
        """Hold a broadcast send while someone's message is being answered (see the module's
        docstring)."""
        if self._answering is None or time.monotonic() < self._unheld_until:
            return
        if not await self._answering.quiet(MAX_HOLD):
            self._unheld_until = time.monotonic() + MAX_HOLD

    async def _give_way(self) -> None:
        """Hold a broadcast send while the event loop is busy (see the module's docstring)."""
        while True:
            turn_started = time.perf_counter()
            await asyncio.sleep(0)
            if time.perf_counter() - turn_started > BUSY_TURN:
                self._bulk_window = max(1, self._bulk_window // 2)
            else:
                self._bulk_window = min(self._window_size, self._bulk_window + 1)
            if len(self._bulk_under_way) < self._bulk_window:
                return
            await asyncio.wait(set(self._bulk_under_way), return_when=asyncio.FIRST_COMPLETED)

    def _finished(self, chat: str, task: asyncio.Task[None]) -> None:
        self._under_way.discard(task)
        self._bulk_under_way.discard(task)
        if not task.cancelled() and task.exception() is not None:
            self._fatal = self._fatal or task.exception()  # `_run` logged every Exception
        if self._last_of_chat.get(chat) is task:
            del self._last_of_chat[chat]

    def _started(self, chat: str, now: float) -> None:
        keep_for = max(self.limit.per_chat_interval, self.limit.per_group_chat_interval)
        self.last_to_chat[chat] = now
        self.last_to_chat.move_to_end(chat)
        while next(iter(self.last_to_chat.values())) < now - keep_for:
            self.last_to_chat.popitem(last=False)

    async def _wait_for_slot(self, *, bulk: bool) -> None:
        """A bulk message takes 1 / bulk_share slots, leaving the rest of the rate free."""
        await self._pacer.take(1 / self.limit.bulk_share if bulk else 1)
