"""Concurrent outbox delivery through python-telegram-bot to the fake Bot API server: several
sends under way, and still every limit kept, each message once, a chat's messages in order."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import itertools
from collections import Counter
from collections.abc import AsyncIterator, Callable

from bot.base.clock import utc_now
from bot.base.models import Channel
from bot.base.settings import Settings
from bot.channels.telegram import TelegramRenderer, TelegramSender, telegram_application
from bot.domain.quiet import QuietHours
from bot.storage.database import Database
from scheduler.delivery import OutboxDelivery
from scheduler.pacing import RateLimit
from tests.channels.test_durable import count, kill, posukk_run, until
from tests.channels.test_telegram import queue
from tests.fakes.telegram_api import TOKEN, Call, FakeTelegram, Fault

RETRY = "Too Many Requests: retry after 1"


@contextlib.asynccontextmanager
async def outbox_delivery(
    settings: Settings,
    telegram: FakeTelegram,
    limit: RateLimit,
    clock: Callable[[], dt.datetime] = utc_now,
) -> AsyncIterator[OutboxDelivery]:
    """The delivery job with the real Telegram sender, on the bot's database."""
    application = telegram_application(TOKEN, telegram.base_url, telegram.base_file_url)
    database = await Database.open(settings.database)
    await application.initialize()
    try:
        sender = TelegramSender(application, TelegramRenderer())
        yield OutboxDelivery(
            database,
            {Channel.TELEGRAM: sender},
            {Channel.TELEGRAM: limit},
            default_timezone=settings.default_timezone,
            quiet=QuietHours.parse("00:00-00:00"),
            clock=clock,
        )
    finally:
        await application.shutdown()
        await database.close()


async def deliver_everything(job: OutboxDelivery, pending: Callable[[], int]) -> None:
    """Run the job as the worker does until nothing is left to send."""
    async with asyncio.timeout(60):
        while pending():
            await job.deliver_all(batches=None)
            await asyncio.sleep(0.02)


def sent(telegram: FakeTelegram) -> list[Call]:
    return telegram.sent(method="sendMessage")


def most_in_one_second(calls: list[Call]) -> int:
    """The most calls the server received within any one second."""
    moments = sorted(call.received for call in calls)
    return max(
        sum(1 for later in moments[index:] if later < moment + 1.0)
        for index, moment in enumerate(moments)
    )


async def test_several_sends_are_under_way_at_once_never_more_than_the_window(
    telegram: FakeTelegram, settings: Settings
) -> None:
    texts = await queue(settings, {9000 + n: 1 for n in range(24)})
    telegram.delays["sendMessage"] = 0.3
    limit = RateLimit(per_second=1000, in_flight=4)
    async with outbox_delivery(settings, telegram, limit) as job:
        await deliver_everything(job, lambda: len(texts) - len(sent(telegram)))
    assert sorted(str(call.params["text"]) for call in sent(telegram)) == sorted(texts)
    assert telegram.most_under_way == 4


async def test_the_overall_rate_holds_with_sends_overlapping(
    telegram: FakeTelegram, settings: Settings
) -> None:
    texts = await queue(settings, {9100 + n: 1 for n in range(45)})
    telegram.delays["sendMessage"] = 0.2  # 20/s needs four under way
    async with outbox_delivery(settings, telegram, RateLimit(per_second=20)) as job:
        await deliver_everything(job, lambda: len(texts) - len(sent(telegram)))
    assert sorted(str(call.params["text"]) for call in sent(telegram)) == sorted(texts)
    assert telegram.most_under_way >= 3, "sends overlapped"
    assert most_in_one_second(sent(telegram)) <= 20 + 1  # give or take one at an edge


async def test_one_chat_gets_its_messages_in_order_one_at_a_time_and_spaced(
    telegram: FakeTelegram, settings: Settings
) -> None:
    spaced, unspaced = 9200, 9201
    texts = await queue(settings, {spaced: 3} | {9300 + n: 1 for n in range(10)})
    telegram.delays["sendMessage"] = 0.1
    limit = RateLimit(per_second=1000, per_chat_interval=0.4, in_flight=8)
    async with outbox_delivery(settings, telegram, limit) as job:
        await deliver_everything(job, lambda: len(texts) - len(sent(telegram)))
    to_spaced = [call for call in sent(telegram) if int(call.params["chat_id"]) == spaced]
    assert [call.params["text"] for call in to_spaced] == [f"pesan {spaced}-{n}" for n in range(3)]
    gaps = [b.received - a.received for a, b in itertools.pairwise(to_spaced)]
    assert min(gaps) >= 0.4 - 0.05  # counted from the start of the send before

    telegram.calls.clear()
    more = await queue(settings, {unspaced: 5} | {9400 + n: 1 for n in range(10)})
    limit = RateLimit(per_second=1000, per_chat_interval=0.0, in_flight=8)
    async with outbox_delivery(settings, telegram, limit) as job:
        await deliver_everything(job, lambda: len(more) - len(sent(telegram)))
    to_unspaced = [
        call.params["text"] for call in sent(telegram) if int(call.params["chat_id"]) == unspaced
    ]
    assert to_unspaced == [f"pesan {unspaced}-{n}" for n in range(5)]
    assert telegram.most_under_way_to_one_chat == 1
    assert telegram.most_under_way > 1


async def test_a_retry_after_pauses_every_send_and_loses_or_doubles_nothing(
    telegram: FakeTelegram, settings: Settings
) -> None:
    texts = await queue(settings, {9500 + n: 1 for n in range(40)})
    telegram.delays["sendMessage"] = 0.05
    telegram.faults.append(Fault("sendMessage", 429, RETRY, retry_after=1, count=3))
    async with outbox_delivery(settings, telegram, RateLimit(per_second=200)) as job:
        await deliver_everything(job, lambda: len(texts) - len(sent(telegram)))
    delivered = [str(call.params["text"]) for call in sent(telegram)]
    assert sorted(delivered) == sorted(texts), "each message exactly once"
    assert len(telegram.refused) == 3
    paused_at = telegram.refused[0].at  # the bot hears "retry after 1" about now
    started_since = [call.received for call in sent(telegram) if call.received > paused_at + 0.2]
    assert started_since, "the rest went after the pause"
    assert min(started_since) >= paused_at + 1.0 - 0.05, "nothing new during the pause"


async def test_killed_with_sends_under_way_it_loses_none_and_doubles_at_most_those(
    telegram: FakeTelegram, settings: Settings
) -> None:
    texts = await queue(settings, {9600 + n: 1 for n in range(30)})
    telegram.hanging.add("sendMessage")  # Telegram has the requests and has not answered yet
    async with posukk_run(settings, POSUKK_TELEGRAM_IN_FLIGHT="4") as first:
        await until(lambda: telegram.under_way == 4)
        await kill(first)
    pending = "SELECT COUNT(*) FROM outbox WHERE status = 'pending'"
    claimed = count(settings, pending + " AND claimed_until IS NOT NULL")
    assert claimed == len(texts), "the whole batch was claimed, four of it under way"
    telegram.release()  # the four reach their chats although the bot is gone

    def after_the_leases() -> dt.datetime:
        return utc_now() + dt.timedelta(seconds=61)

    limit = RateLimit(per_second=1000)
    async with outbox_delivery(settings, telegram, limit, clock=after_the_leases) as job:
        await deliver_everything(job, lambda: count(settings, pending))
    received = Counter(str(call.params["text"]) for call in sent(telegram))
    assert set(received) == set(texts), "nobody lost"
    assert sum(received.values()) - len(texts) <= 4, "doubled: at most the sends under way"
