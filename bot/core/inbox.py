"""The durable inbox: nothing a person sends is lost between the platform and the database.

Adapters store every update as it came (`Inbox.receive`) before they tell the platform it
arrived: Telegram's next `getUpdates` offset, a webhook's 200. The inbox then hands the stored
rows to the adapter's handler, one sender's updates one after another in the order they
arrived, different senders side by side. The engine marks the row handled in the transaction
that holds its effects (`settle`), keeping the answer with it until the adapter has sent it
(or handed it to the outbox); then the row goes. So a crash before that commit leaves the row to
be handled at the next start (`recover`), a crash after it leaves only the answer to send, and
nothing is handled twice. An update that cannot be handled is kept as failed with the reason,
logged once without its content, and skipped.

While a person's update is stored and handled, its transactions go before the others waiting
for SQLite's write lock (`first_in_line`), and until its effects are settled broadcasts hold
their next sends (`quiet`): a flat-out broadcast would otherwise keep the person waiting. The
answer's trip to the platform is not waited for, so slow platform answers cost a broadcast at
the platform's cap nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import traceback
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass

from bot.base.clock import utc_now
from bot.base.models import Channel, Unsent
from bot.core.notify import queue_unsent
from bot.storage.database import Database, UnitOfWork
from bot.storage.inbox import InboxRow, Received, from_a_person
from bot.storage.write_turns import first_in_line

log = logging.getLogger(__name__)

Handler = Callable[[InboxRow], Awaitable[None]]

MAX_SENDERS_AT_ONCE = 256
"""Senders handled side by side (python-telegram-bot's default for concurrent updates)."""


MAX_LATER = 3
"""How often an update that came too early (`later`) is handed over again before it is let go."""
LATER_SECONDS = 2.0


@dataclass
class _InHand:
    row_id: int
    settled: bool = False
    answering: bool = False
    """Settled with an answer still to send: the row goes once the handler returns."""
    error: BaseException | None = None
    later: bool = False
    on_settled: Callable[[], None] = lambda: None


_in_hand: ContextVar[_InHand | None] = ContextVar("inbox_in_hand", default=None)


class _Count:
    """How many people's updates are being stored or waiting to be settled; `none` is set
    while none is."""

    def __init__(self) -> None:
        self.value = 0
        self.none = asyncio.Event()
        self.none.set()

    def add(self) -> None:
        self.value += 1
        self.none.clear()

    def remove(self) -> None:
        self.value -= 1
        if not self.value:
            self.none.set()


async def settle(uow: UnitOfWork, answer: Unsent | None = None) -> None:
    """Mark the update being handled as done, inside the unit of work that holds its effects,
    keeping `answer` with it until it is sent. Nothing to do outside the inbox (the terminal
    chat, tests driving the engine)."""
    in_hand = _in_hand.get()
    if in_hand is None or in_hand.settled:
        return
    if answer is not None and answer.replies:
        await uow.inbox.answering(in_hand.row_id, answer.model_dump_json())
        in_hand.answering = True
    else:
        await uow.inbox.done(in_hand.row_id)
    in_hand.settled = True
    in_hand.on_settled()


def failed(error: BaseException) -> None:
    """A chat library caught `error` while handling the update in hand: it is kept as failed."""
    in_hand = _in_hand.get()
    if in_hand is not None:
        in_hand.error = error


def later() -> None:
    """The update in hand refers to something still being written (a status about a message
    whose id is not stored yet): hand it over again shortly, a few times at most."""
    in_hand = _in_hand.get()
    if in_hand is not None:
        in_hand.later = True


class Inbox:
    def __init__(self, database: Database, max_senders: int = MAX_SENDERS_AT_ONCE) -> None:
        self.database = database
        self._handlers: dict[Channel, Handler] = {}
        self._queues: dict[tuple[Channel, str], deque[InboxRow]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._slots = asyncio.Semaphore(max_senders)
        self._tries: dict[int, int] = {}
        self._timers: set[asyncio.TimerHandle] = set()
        self._answered: list[int] = []
        self._clearing: asyncio.Task[None] | None = None
        self._people = _Count()
        self._unsettled: set[int] = set()
        """The people's rows handed over and not settled yet (counted in `_people`)."""

    def route(self, channel: Channel, handler: Handler) -> None:
        """Who handles `channel`'s stored updates."""
        self._handlers[channel] = handler

    async def receive(self, channel: Channel, updates: Sequence[Received]) -> None:
        """Store `updates` in one transaction, then start handling them. When this returns the
        platform may be told they arrived."""
        if not updates:
            return
        if not any(from_a_person(update.sender) for update in updates):
            rows = await self._store(channel, updates)
        else:
            self._people.add()
            try:
                with first_in_line():
                    rows = await self._store(channel, updates)
            finally:
                self._people.remove()
        self._submit(rows)

    async def quiet(self, within: float) -> bool:
        """Wait until no person's update is being stored or waits to be settled (handed over,
        or in the engine's turn), for at most `within` seconds; whether none is."""
        if self._people.none.is_set():  # no task for `wait_for` at every broadcast send
            return True
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._people.none.wait(), within)
        return self._people.none.is_set()

    async def _store(self, channel: Channel, updates: Sequence[Received]) -> list[InboxRow]:
        async with self.database.unit_of_work() as uow:
            return await uow.inbox.store(channel, updates, utc_now())

    async def recover(self) -> int:
        """Handle what was stored and not handled before the last stop, and queue the answers
        handled and not sent then; how many updates."""
        async with self.database.unit_of_work() as uow:
            rows = await uow.inbox.waiting()
            unanswered = [row for row in rows if row.answer is not None]
            for row in unanswered:
                assert row.answer is not None
                await queue_unsent(uow, Unsent.model_validate_json(row.answer), utc_now())
            await uow.inbox.done(*(row.id for row in unanswered))
        rows = [row for row in rows if row.answer is None]
        if rows or unanswered:
            log.info(
                "handling %d updates stored before the restart; %d answers queued",
                len(rows),
                len(unanswered),
            )
        self._submit(rows)
        return len(rows) + len(unanswered)

    async def drained(self) -> None:
        """Wait until every update handed over so far has been handled and answered."""
        while self._tasks or self._clearing is not None:
            running = [*self._tasks, *filter(None, [self._clearing])]
            await asyncio.gather(*running, return_exceptions=True)

    async def stop(self, within: float) -> None:
        """Finish the updates in hand for up to `within` seconds; the rest stay stored for the
        next start."""
        for timer in self._timers:  # updates waiting to come back stay stored for next time
            timer.cancel()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.drained(), within)
        running = [*self._tasks, *filter(None, [self._clearing])]
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)

    def _submit(self, rows: Sequence[InboxRow]) -> None:
        for row in rows:
            if from_a_person(row.sender):
                self._unsettled.add(row.id)
                self._people.add()
            key = (row.channel, row.sender)
            queue = self._queues.get(key)
            if queue is not None:
                queue.append(row)
                continue
            self._queues[key] = deque([row])
            task = asyncio.create_task(self._drain(key), name=f"inbox-{row.channel}")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _drain(self, key: tuple[Channel, str]) -> None:
        """One sender's updates, in order."""
        queue = self._queues[key]
        try:
            async with self._slots:
                while queue:
                    await self._handle(queue[0])
                    self._settled(queue.popleft().id)
        finally:  # stopped: the rest stay stored for the next start
            for row in queue:
                self._settled(row.id)
            del self._queues[key]

    def _settled(self, row_id: int) -> None:
        """A person's update waits no more: settled, or let go without an answer."""
        if row_id in self._unsettled:
            self._unsettled.remove(row_id)
            self._people.remove()

    async def _handle(self, row: InboxRow) -> None:
        in_hand = _InHand(row.id, on_settled=lambda: self._settled(row.id))
        token = _in_hand.set(in_hand)
        try:
            with first_in_line() if from_a_person(row.sender) else contextlib.nullcontext():
                await self._handlers[row.channel](row)
        except Exception as error:
            in_hand.error = error
        finally:
            _in_hand.reset(token)
        if in_hand.later and in_hand.error is None and self._tries.get(row.id, 0) < MAX_LATER:
            self._tries[row.id] = self._tries.get(row.id, 0) + 1
            self._come_back(row)
            return
        self._tries.pop(row.id, None)
        if in_hand.error is not None:
            await self._fail(row, in_hand.error)
        elif in_hand.answering:
            self._clear(row.id)
        elif not in_hand.settled:  # nothing changed in the database: ignored, or flood
            async with self.database.unit_of_work() as uow:
                await uow.inbox.done(row.id)

    def _clear(self, row_id: int) -> None:
        """Drop an answered row. Rows answered while one deletion runs go together in the next,
        so under load this costs one transaction per batch, not per update."""
        self._answered.append(row_id)
        if self._clearing is None:
            self._clearing = asyncio.create_task(self._clear_answered(), name="inbox-clear")

    async def _clear_answered(self) -> None:
        try:
            while self._answered:
                ids, self._answered = self._answered, []
                async with self.database.unit_of_work() as uow:
                    await uow.inbox.done(*ids)
        finally:
            self._clearing = None

    def _come_back(self, row: InboxRow) -> None:
        def again() -> None:
            self._timers.discard(timer)
            self._submit([row])

        timer = asyncio.get_running_loop().call_later(LATER_SECONDS, again)
        self._timers.add(timer)

    async def _fail(self, row: InboxRow, error: BaseException) -> None:
        """Keep the update as failed, unless its effects were committed before the error (then
        only sending the answer failed). The log names the error's type and where it happened,
        never its message, which may quote what the person wrote."""
        async with self.database.unit_of_work() as uow:
            kept = await uow.inbox.fail(row.id, f"{type(error).__name__}: {error}", utc_now())
            if not kept:  # handled; answering failed for good: nothing to send again
                await uow.inbox.done(row.id)
        log.error(
            "%s %s update #%d (%s)\n%s",
            "kept as failed:" if kept else "error after handling",
            row.channel,
            row.id,
            type(error).__name__,
            "".join(traceback.format_tb(error.__traceback__)).rstrip(),
        )
