"""Outbox delivery: drain due rows per channel within the platform's limits, never lose or double.

A row is claimed with a lease in one short transaction, sent, and its result written at once in
another, so the only window for a double send is a crash between the platform accepting a
message and that second transaction. A claim left by a crashed process is retried when its lease
runs out. Rate limits come from settings; a platform's retry-after pauses the whole channel.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import random
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

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
from scheduler.window import as_template, outside_window

DEFAULT_QUIET_HOURS = QuietHours.parse("21:00-05:00")

log = logging.getLogger(__name__)


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

    def interval(self, *, group_chat: bool) -> float:
        """The least time between two messages to one chat."""
        return self.per_group_chat_interval if group_chat else self.per_chat_interval


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


@dataclass
class _ChannelState:
    origin: float = 0.0
    count: float = 0.0
    paused_until: float = 0.0
    last_to_chat: OrderedDict[str, float] = field(default_factory=OrderedDict)
    """When each chat last got a message, oldest first, for as long as that still matters: a
    broadcast to 100,000 people would otherwise leave 100,000 entries (12 MB) behind."""

    def sent_to(self, chat: str, now: float, keep_for: float) -> None:
        self.last_to_chat[chat] = now
        self.last_to_chat.move_to_end(chat)
        while next(iter(self.last_to_chat.values())) < now - keep_for:
            self.last_to_chat.popitem(last=False)


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
    ) -> None:
        self.monotonic = monotonic
        self.sleep = sleep
        self.quiet = quiet
        self.default_timezone = default_timezone
        self.templates = templates or {}
        self.texts = texts or Texts.load()
        """For the few notices delivery itself gives (a group chat the bot was removed from)."""
        self.database = database
        self.senders = senders
        self.limits = limits
        self.clock = clock
        self.lease = lease
        self.max_attempts = max_attempts
        self.batch = batch
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self._state = {channel: _ChannelState() for channel in senders}

    async def deliver_all(self) -> DeliveryStats:
        """One pass over every channel: what is due now, at most one batch each."""
        total = DeliveryStats()
        for channel in self.senders:
            stats = await self.deliver_due(channel)
            total.sent += stats.sent
            total.deferred += stats.deferred
            total.failed += stats.failed
            total.unreachable += stats.unreachable
            total.rerouted += stats.rerouted
        return total

    async def deliver_due(self, channel: Channel) -> DeliveryStats:
        stats = DeliveryStats()
        state = self._state[channel]
        if self.monotonic() < state.paused_until:
            return stats
        now = self.clock()
        async with self.database.unit_of_work() as uow:
            claimed = await uow.outbox.claim(
                channel, now, now + self.lease, self.batch, self.default_timezone
            )
        unreachable: set[str] = set()
        for index, message in enumerate(claimed):
            if self.monotonic() < state.paused_until:
                await self._release(claimed[index:], state.paused_until, stats)
                break
            if message.platform_id in unreachable:
                continue  # already marked with the rest of this recipient's messages
            if not await self._deliver_one(channel, state, message, stats):
                unreachable.add(message.platform_id)
        return stats

    async def _deliver_one(
        self, channel: Channel, state: _ChannelState, message: OutboxMessage, stats: DeliveryStats
    ) -> bool:
        """Send one row and record the outcome; False if its recipient turned out unreachable."""
        later = deliverable_from(
            self.clock(),
            urgent=message.urgent,
            quiet=self.quiet,
            timezone=message.timezone,
            away_until=message.away_until,
        )
        if later is not None:
            async with self.database.unit_of_work() as uow:
                await uow.outbox.reschedule(message.id, later, None, refund=True)
            stats.deferred += 1
            return True
        limit = self.limits.get(channel, RateLimit(per_second=1000.0))
        interval = limit.interval(group_chat=message.group_chat_id is not None)
        since_last = self.monotonic() - state.last_to_chat.get(message.platform_id, -1e9)
        if since_last < interval:
            resume = self.monotonic() + interval - since_last
            await self._release([message], resume, stats)
            return True
        reply = self._reply_for(channel, message)
        if reply is None:
            await self._fail(message, f"outside the service window, no template for "
                             f"'{message.kind}'", stats)  # fmt: skip
            return True
        await self._wait_for_slot(state, limit, bulk=message.bulk)
        try:
            platform_message_id = await self.senders[channel].send(message.platform_id, reply)
        except RetryLater as error:
            state.paused_until = self.monotonic() + error.seconds
            log.warning("%s asked to retry after %.1f s; pausing it", channel, error.seconds)
            await self._release([message], state.paused_until, stats, error=str(error))
        except Unreachable as error:
            async with self.database.unit_of_work() as uow:
                if message.group_chat_id is not None:
                    await self._chat_gone(uow, message.group_chat_id, str(error))
                else:
                    assert message.user_id is not None
                    if await self._fall_back(uow, channel, message, str(error)):
                        stats.rerouted += 1
                        return False  # their other rows in hand go with it, to the other app
                    await uow.outbox.mark_recipient_unreachable(
                        message.user_id, self.clock(), str(error)
                    )
            stats.unreachable += 1
            return False
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
            keep_for = max(limit.per_chat_interval, limit.per_group_chat_interval)
            state.sent_to(message.platform_id, self.monotonic(), keep_for)
            async with self.database.unit_of_work() as uow:
                await uow.outbox.mark_sent(message.id, self.clock(), platform_message_id)
            stats.sent += 1
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
        reply = Reply.model_validate_json(message.payload)
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
        async with self.database.unit_of_work() as uow:
            await uow.outbox.reschedule(message.id, retry_at, error, refund=False)
        stats.deferred += 1

    async def _wait_for_slot(self, state: _ChannelState, limit: RateLimit, *, bulk: bool) -> None:
        """A pacer: the n-th slot of a busy stretch starts at origin + n / per_second.

        Slots are computed, not summed, so rounding never lets one extra message into a second.
        A bulk message takes 1 / bulk_share slots, leaving the rest of the rate free.
        """
        now = self.monotonic()
        slot = state.origin + state.count / limit.per_second
        if slot < now:  # idle since the last stretch: start a new one now
            state.origin, state.count, slot = now, 0, now
        if slot > now:
            await self.sleep(slot - now)
        state.count += 1 / limit.bulk_share if bulk else 1

    async def _release(
        self,
        messages: list[OutboxMessage],
        until_monotonic: float,
        stats: DeliveryStats,
        error: str | None = None,
    ) -> None:
        """Give rows back, due again at `until_monotonic`; the attempt is not counted."""
        retry_at = self.clock() + dt.timedelta(seconds=max(0.0, until_monotonic - self.monotonic()))
        async with self.database.unit_of_work() as uow:
            for message in messages:
                await uow.outbox.reschedule(message.id, retry_at, error, refund=True)
        stats.deferred += len(messages)

    async def _fail(self, message: OutboxMessage, error: str, stats: DeliveryStats) -> None:
        log.error("outbox message %s failed for good: %s", message.id, error)
        async with self.database.unit_of_work() as uow:
            await uow.outbox.mark_failed(message.id, error)
        stats.failed += 1

    def _backoff(self, attempts: int) -> float:
        """Exponential back-off with jitter, so many failed rows do not retry in lockstep."""
        ceiling = min(self.backoff_cap, self.backoff_base * 2 ** (attempts - 1))
        return random.uniform(ceiling / 2, ceiling)
