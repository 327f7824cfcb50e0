"""Outbox delivery: drain due rows per channel within the platform's limits, never lose or double.

Rows are claimed with a lease in one short transaction and handed to the channel's `Lane`, which
starts each send at its paced moment with several under way at once; each send's result is
written as soon as it is known (the "sent" marks of sends that finish together in one
transaction). The only window for a double send is a crash between the platform accepting a
message and its mark: at most the sends under way. A claim left by a crashed process is retried
when its lease runs out. Rate limits come from settings; a platform's retry-after pauses the whole
channel.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import itertools
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from bot.base.clock import utc_now
from bot.base.models import Channel, Reply
from bot.base.texts import Texts
from bot.core.notify import tell_kader_chat_gone
from bot.core.outbound import (
    Moved,
    NeedsTemplate,
    PermanentFailure,
    RetryLater,
    Sender,
    TemporaryFailure,
    Unreachable,
)
from bot.domain.quiet import QuietHours, deliverable_from
from bot.storage.database import Database, UnitOfWork
from bot.storage.records import OutboxMessage
from scheduler.marks import SentMarks
from scheduler.pacing import Answering, Lane, RateLimit
from scheduler.shared_limits import claim_holder, sending_lane
from scheduler.window import as_template, outside_window

DEFAULT_QUIET_HOURS = QuietHours.parse("21:00-05:00")
LEASE_MARGIN = 0.25
"""The share of a claim's lease kept for the send itself: a row still waiting to start when
less than this is left is not sent by this process."""
CLAIM_AHEAD = 10
"""Rows of a batch still to start when the next batch is claimed: the claim (a transaction of a
few milliseconds) runs while they go out. Claimed only after a batch had started, a lane at
Telegram's paid 800/s lost about 3 % of its slots waiting for each claim (`bench.pace`)."""
STOP_GRACE = 10.0
"""Seconds a stopping worker waits for the sends under way to be answered and recorded."""

log = logging.getLogger(__name__)


@dataclass
class DeliveryStats:
    sent: int = 0
    deferred: int = 0
    failed: int = 0
    unreachable: int = 0
    rerouted: int = 0
    """Rows that found the person unreachable and were handed to their linked account."""

    @property
    def handled(self) -> int:
        return self.sent + self.deferred + self.failed + self.unreachable + self.rerouted

    def add(self, other: DeliveryStats) -> None:
        self.sent += other.sent
        self.deferred += other.deferred
        self.failed += other.failed
        self.unreachable += other.unreachable
        self.rerouted += other.rerouted


@dataclass(frozen=True)
class _Deferral:
    """A claimed row given back, due again at `at`."""

    message_id: int
    at: dt.datetime
    error: str | None
    refund: bool


async def _claimed_by(claim: asyncio.Task[list[OutboxMessage]]) -> list[OutboxMessage]:
    """The rows a claim took; none if it failed (its transaction was rolled back)."""
    try:
        return await claim
    except Exception:
        log.exception("claiming the next batch failed")
        return []


@functools.lru_cache(maxsize=256)
def parsed_reply(payload: str) -> Reply:
    """A row's reply, read once per payload: a broadcast's rows all hold the same one (reading
    it for each was about 3 % of a flat-out broadcast's CPU, py-spy). A `Reply` is frozen."""
    return Reply.model_validate_json(payload)


class OutboxDelivery:
    def __init__(
        self,
        database: Database,
        senders: Mapping[Channel, Sender],
        limits: Mapping[Channel, RateLimit],
        *,
        default_timezone: str,
        clock: Callable[[], dt.datetime] = utc_now,
        lease: dt.timedelta = dt.timedelta(seconds=60),
        max_attempts: int = 8,
        batch: int = 50,
        backoff_base: float = 2.0,
        backoff_cap: float = 900.0,
        quiet: QuietHours = DEFAULT_QUIET_HOURS,
        templates: Mapping[str, str] | None = None,
        texts: Texts | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        answering: Answering | None = None,
    ) -> None:
        """Broadcast sends wait while `answering` answers someone (`scheduler.pacing`)."""
        self.monotonic = monotonic
        self.quiet = quiet
        self.default_timezone = default_timezone
        self.templates = templates or {}
        self.texts = texts or Texts.load()
        """For the few notices delivery itself gives (a group chat the bot was removed from)."""
        self.database = database
        self.senders = senders
        self.clock = clock
        self.lease = lease
        self.max_attempts = max_attempts
        self.batch = batch
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.marks = SentMarks(database)
        limits = {channel: limits.get(channel, RateLimit(per_second=1000.0)) for channel in senders}
        self.lanes = {
            channel: sending_lane(database, channel, limit, monotonic, sleep, answering)
            for channel, limit in limits.items()
        }
        self.holders = {channel: claim_holder(database, limit) for channel, limit in limits.items()}

    async def deliver_all(self, batches: int | None = 1) -> DeliveryStats:
        """Every channel side by side, each as `deliver_due`."""
        passes = [
            asyncio.create_task(self.deliver_due(channel, batches)) for channel in self.senders
        ]
        try:
            results = await asyncio.gather(*passes)
        finally:  # one failed or all are stopped: none goes on alone
            for running in passes:
                running.cancel()
            await asyncio.wait(passes)
        total = DeliveryStats()
        for stats in results:
            total.add(stats)
        return total

    async def deliver_due(self, channel: Channel, batches: int | None = 1) -> DeliveryStats:
        """Claim and start up to `batches` batches (None: as long as full ones come), then wait
        for the sends under way. The next batch is claimed while the last `CLAIM_AHEAD` rows of
        this one start, so the lane never waits for a claim. Stopped (cancelled), it gives back
        what it had not started and waits `STOP_GRACE` for the rest."""
        stats = DeliveryStats()
        lane = self.lanes[channel]
        gone: set[str] = set()
        """Recipients found unreachable in this pass: their other rows are marked already."""
        claims = itertools.count(1)
        try:
            claimed = [] if lane.paused() else await self._claim(channel)
            while claimed:
                more = len(claimed) == self.batch and next(claims) != batches
                upcoming = await self._start_all(channel, lane, claimed, gone, stats, more)
                claimed = [] if upcoming is None else await upcoming
        except asyncio.CancelledError:
            await lane.drain(STOP_GRACE)
            raise
        await lane.drain()
        return stats

    async def _claim(self, channel: Channel) -> list[OutboxMessage]:
        """Due rows of `channel`, at most a batch, leased to this process (one transaction)."""
        now = self.clock()
        async with self.database.unit_of_work() as uow:
            return await uow.outbox.claim(
                channel, now, now + self.lease, self.batch, self.default_timezone,
                self.holders[channel],
            )  # fmt: skip

    async def _start_all(
        self,
        channel: Channel,
        lane: Lane,
        claimed: list[OutboxMessage],
        gone: set[str],
        stats: DeliveryStats,
        claim_next: bool,
    ) -> asyncio.Task[list[OutboxMessage]] | None:
        """Start a send for each claimed row that may go now; give the others back in one
        transaction at the end (also when stopped half way). With `claim_next`, the next batch
        is claimed while the last `CLAIM_AHEAD` rows start, and returned (None if it was not)."""
        deferrals: list[_Deferral] = []
        started = 0
        upcoming: asyncio.Task[list[OutboxMessage]] | None = None
        try:
            while started < len(claimed) and not lane.paused():
                if claim_next and upcoming is None and len(claimed) - started <= CLAIM_AHEAD:
                    upcoming = asyncio.create_task(self._claim(channel))
                message = claimed[started]
                if not await self._start_one(channel, lane, message, gone, deferrals, stats):
                    break
                started += 1
        except BaseException:
            if upcoming is not None:  # stopped: what it claimed goes back with the rest
                claimed = claimed + await _claimed_by(upcoming)
            raise
        finally:
            retry_at = self._clock_at(lane.paused_until)
            deferrals += [_Deferral(m.id, retry_at, None, True) for m in claimed[started:]]
            stats.deferred += len(deferrals)
            if deferrals:
                await self._give_back(deferrals)
        return upcoming

    async def _start_one(
        self,
        channel: Channel,
        lane: Lane,
        message: OutboxMessage,
        gone: set[str],
        deferrals: list[_Deferral],
        stats: DeliveryStats,
    ) -> bool:
        """Start the row's send, or hold it (in `deferrals`) or fail it; False if the lane was
        paused before it could start."""
        if message.platform_id in gone:
            return True
        deferral = self._held(lane, message)
        if deferral is not None:
            deferrals.append(deferral)
            return True
        reply = self._reply_for(channel, message)
        if reply is None:
            no_template = f"outside the service window, no template for '{message.kind}'"
            await self._fail(message, no_template, stats)
            return True
        send = functools.partial(self._send, channel, lane, message, reply, gone, stats)
        return await lane.start(message.platform_id, send, bulk=message.bulk)

    def _held(self, lane: Lane, message: OutboxMessage) -> _Deferral | None:
        """Why a row may not go now (quiet hours, away, its chat had a message just now), as
        the moment it is due again; the attempt is given back."""
        later = deliverable_from(
            self.clock(),
            urgent=message.urgent,
            quiet=self.quiet,
            timezone=message.timezone,
            away_until=message.away_until,
        )
        if later is not None:
            return _Deferral(message.id, later, None, True)
        wait = lane.too_soon(message.platform_id, group_chat=message.group_chat_id is not None)
        if wait > 0:
            return _Deferral(message.id, self._clock_at(self.monotonic() + wait), None, True)
        return None

    async def _send(
        self,
        channel: Channel,
        lane: Lane,
        message: OutboxMessage,
        reply: Reply,
        gone: set[str],
        stats: DeliveryStats,
    ) -> None:
        """Send one row and record the outcome."""
        if message.platform_id in gone:
            return  # marked unreachable with the rest of this recipient's rows
        if self._lease_ending(message):
            return
        try:
            platform_message_id = await self.senders[channel].send(message.platform_id, reply)
        except RetryLater as error:
            lane.pause(error.seconds)
            log.warning("%s asked to retry after %.1f s; pausing it", channel, error.seconds)
            retry_at = self._clock_at(lane.paused_until)
            await self._give_back([_Deferral(message.id, retry_at, str(error), True)])
            stats.deferred += 1
        except Unreachable as error:
            gone.add(message.platform_id)
            async with self.database.unit_of_work() as uow:
                if message.group_chat_id is not None:
                    await self._chat_gone(uow, message.group_chat_id, str(error))
                else:
                    assert message.user_id is not None
                    if await self._fall_back(uow, channel, message, str(error)):
                        stats.rerouted += 1
                        return  # their other rows in hand go with it, to the other app
                    await uow.outbox.mark_recipient_unreachable(
                        message.user_id, self.clock(), str(error)
                    )
            stats.unreachable += 1
        except Moved as error:
            await self._follow(channel, message, error, stats)
        except NeedsTemplate as error:
            if reply.template is not None:
                await self._fail(message, str(error), stats)
            else:
                async with self.database.unit_of_work() as uow:
                    await uow.outbox.require_template(message.id)
                    await uow.outbox.reschedule(message.id, self.clock(), str(error), refund=True)
                stats.deferred += 1
        except PermanentFailure as error:
            await self._fail(message, str(error), stats)
        except TemporaryFailure as error:
            await self._retry_or_fail(message, str(error), stats)
        else:
            await self.marks.sent(message.id, self.clock(), platform_message_id)
            stats.sent += 1

    def _lease_ending(self, message: OutboxMessage) -> bool:
        """Whether the row waited so long in this process that its lease ends before a send
        could be answered: another process may claim it then, and both would send. It is left
        as it is, and goes out (from any process) once the lease has ended."""
        assert message.claimed_until is not None, "a claimed row has a lease"
        if self.clock() < message.claimed_until - self.lease * LEASE_MARGIN:
            return False
        log.warning("outbox message %s waited out its lease; it goes again later", message.id)
        return True

    async def _fall_back(
        self, uow: UnitOfWork, channel: Channel, message: OutboxMessage, error: str
    ) -> bool:
        """Hand an unreachable person's messages to their linked account on another app this
        process runs, once; whether there was one."""
        assert message.user_id is not None
        failed = (channel, message.platform_id)
        running = list(self.senders)
        moved_to = await uow.identities.fall_back(message.user_id, failed, running, self.clock())
        if moved_to is None or moved_to == channel:
            return False
        note = f"unreachable on {channel.value} ({error}); sent to the linked {moved_to.value}"
        await uow.outbox.rerouted(message.id, message.user_id, channel, note)
        log.warning("outbox message %s: %s", message.id, note)
        return True

    def _reply_for(self, channel: Channel, message: OutboxMessage) -> Reply | None:
        """The row's reply, as a template if the platform's service window is closed (None if
        no template is configured for its kind)."""
        reply = parsed_reply(message.payload)
        if not message.template_only and not outside_window(message, channel, self.clock()):
            return reply
        return as_template(reply, message.kind, message.language, self.templates)

    async def _follow(
        self, channel: Channel, message: OutboxMessage, moved: Moved, stats: DeliveryStats
    ) -> None:
        """Point a group chat at its new id and send there at once; a person cannot move."""
        if message.group_chat_id is None:
            await self._fail(message, str(moved), stats)
            return
        async with self.database.unit_of_work() as uow:
            await uow.group_chats.move(
                channel, message.platform_id, moved.new_platform_id, self.clock()
            )
            await uow.outbox.reschedule(message.id, self.clock(), str(moved), refund=True)
        stats.deferred += 1

    async def _chat_gone(self, uow: UnitOfWork, group_chat_id: int, error: str) -> None:
        """The platform says the bot is no longer in a group chat: end the link, tell the kader
        (the platform's own notice may never have come, e.g. while the bot was down)."""
        chat = await uow.group_chats.get(group_chat_id)
        await uow.group_chats.unlink(group_chat_id, self.clock(), error)
        if chat is not None:
            await tell_kader_chat_gone(uow, self.texts, chat, self.clock())

    async def _retry_or_fail(
        self, message: OutboxMessage, error: str, stats: DeliveryStats
    ) -> None:
        if message.attempts >= self.max_attempts:
            await self._fail(message, error, stats)
            return
        retry_at = self.clock() + dt.timedelta(seconds=self._backoff(message.attempts))
        await self._give_back([_Deferral(message.id, retry_at, error, False)])
        stats.deferred += 1

    def _clock_at(self, monotonic_moment: float) -> dt.datetime:
        """The wall-clock time of a moment on the monotonic clock (now, if it has passed)."""
        ahead = max(0.0, monotonic_moment - self.monotonic())
        return self.clock() + dt.timedelta(seconds=ahead)

    async def _give_back(self, deferrals: list[_Deferral]) -> None:
        """Rows due again later, in one transaction."""
        async with self.database.unit_of_work() as uow:
            for deferral in deferrals:
                await uow.outbox.reschedule(
                    deferral.message_id, deferral.at, deferral.error, refund=deferral.refund
                )

    async def _fail(self, message: OutboxMessage, error: str, stats: DeliveryStats) -> None:
        log.error("outbox message %s failed for good: %s", message.id, error)
        async with self.database.unit_of_work() as uow:
            await uow.outbox.mark_failed(message.id, error)
        stats.failed += 1

    def _backoff(self, attempts: int) -> float:
        """Exponential back-off with jitter, so many failed rows do not retry in lockstep."""
        ceiling = min(self.backoff_cap, self.backoff_base * 2 ** (attempts - 1))
        return random.uniform(ceiling / 2, ceiling)
