"""The platforms' limits for several processes together: one sending timeline per channel in
the database, and a chat's messages with one process at a time. Each `Database` here is opened
on its own, as each process opens it."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import time

import pytest

from bot.base.models import Channel, Reply
from bot.storage.database import Database
from bot.storage.outbox import Holder
from scheduler.delivery import OutboxDelivery
from scheduler.pacing import RateLimit
from scheduler.shared_limits import SPAN_SECONDS, SharedPacer
from tests.conftest import START, ZONE, FakeClock, RowCounter
from tests.fakes.senders import ScriptedSender
from tests.scheduler.test_delivery import queue

pytestmark = pytest.mark.postgresql_only(reason="several processes share PostgreSQL only")

CAP = 200.0
"""Sends a second in these tests: high, so that they take a second or two."""


async def paced(database: Database, count: int, started: list[float]) -> None:
    """Take `count` slots of the shared timeline, noting when each send may start."""
    pacer = SharedPacer(database, Channel.TELEGRAM, CAP, time.monotonic, asyncio.sleep)
    for _ in range(count):
        await pacer.take(1)
        started.append(time.monotonic())


def busiest_second(moments: list[float]) -> int:
    """The most moments within any one second."""
    ordered = sorted(moments)
    return max(
        len(ordered[i : j + 1])
        for i in range(len(ordered))
        for j in [max(k for k in range(i, len(ordered)) if ordered[k] < ordered[i] + 1.0)]
    )


async def test_two_processes_together_send_at_no_more_than_the_cap(
    database: Database, second: Database
) -> None:
    first_sends: list[float] = []
    second_sends: list[float] = []
    await asyncio.gather(paced(database, 300, first_sends), paced(second, 300, second_sends))
    together = first_sends + second_sends
    assert busiest_second(together) <= CAP * 1.05 + 2, "each alone would send 2 x the cap"
    took = max(together) - min(together)
    assert took >= (len(together) - 1) / CAP * 0.95
    assert min(second_sends) < max(first_sends), "both processes sent, side by side"
    assert min(first_sends) < max(second_sends)


async def test_a_process_that_stops_sending_leaves_the_whole_rate_to_the_others(
    database: Database, second: Database
) -> None:
    await asyncio.gather(paced(database, 100, []), paced(second, 100, []))
    alone: list[float] = []
    await paced(second, 200, alone)  # the first process stopped (or died)
    assert max(alone) - min(alone) < 199 / CAP * 1.3, "at the full rate at once, not half"


async def test_a_pause_the_platform_asked_of_one_process_holds_the_others(
    database: Database, second: Database
) -> None:
    asked = SharedPacer(database, Channel.TELEGRAM, CAP, time.monotonic, asyncio.sleep)
    other = SharedPacer(second, Channel.TELEGRAM, CAP, time.monotonic, asyncio.sleep)
    await other.take(1)
    asked.hold(1.0)  # a 429 with retry_after 1
    await asyncio.sleep(0.1)
    began = time.monotonic()
    for _ in range(int(CAP * SPAN_SECONDS) + 1):  # past the span it had reserved
        await other.take(1)
    assert time.monotonic() - began >= 0.8, "it waited out the pause"


async def test_a_chats_rows_are_with_one_process_at_a_time(
    database: Database, second: Database, clock: FakeClock
) -> None:
    await queue(database, clock, "budi", ["b1", "b2"])
    await queue(database, clock, "sari", ["s1"])
    one, other = Holder("one", 1.0, 3.0), Holder("other", 1.0, 3.0)
    lease = clock() + dt.timedelta(seconds=60)

    async def claim(on: Database, holder: Holder, limit: int = 10) -> list[str]:
        async with on.unit_of_work() as uow:
            claimed = await uow.outbox.claim(Channel.TERMINAL, clock(), lease, limit, ZONE, holder)
        return [Reply.model_validate_json(m.payload).text for m in claimed]

    assert await claim(database, one, limit=1) == ["b1"]
    assert await claim(second, other) == ["s1"], "Budi's next message waits for the first"
    assert await claim(database, one) == ["b2"], "the process holding Budi takes it"
    async with database.unit_of_work() as uow:
        for message_id in (1, 2, 3):
            await uow.outbox.mark_sent(message_id, clock())
    await queue(database, clock, "budi", ["b3"])
    assert await claim(second, other) == [], "Budi had a message from the first just now"
    clock.advance(seconds=2)
    assert await claim(second, other) == ["b3"], "after the spacing, any process"


async def test_two_processes_keep_each_chats_order_and_spacing(
    database: Database, second: Database, rows: RowCounter
) -> None:
    personas = ("budi", "sari", "rahmat", "andi")
    for persona in personas:
        await queue(database, FakeClock(), persona, [f"{persona}-{n}" for n in range(4)])
    started = time.monotonic()
    sent: list[tuple[str, str, float]] = []

    def real_clock() -> dt.datetime:
        return START + dt.timedelta(seconds=time.monotonic() - started)

    class Timed(ScriptedSender):
        async def send(self, recipient: str, reply: Reply) -> str | None:
            sent.append((recipient, reply.text, time.monotonic()))
            await asyncio.sleep(0.01)
            return None

    limit = RateLimit(per_second=CAP, per_chat_interval=0.3)

    async def process(on: Database) -> None:
        job = OutboxDelivery(
            on, {Channel.TERMINAL: Timed()}, {Channel.TERMINAL: limit}, clock=real_clock,
            default_timezone=ZONE, batch=3,
        )  # fmt: skip
        while len(sent) < 16 and time.monotonic() - started < 30:
            await job.deliver_all()
            await asyncio.sleep(0.05)

    await asyncio.gather(process(database), process(second))
    assert rows("SELECT COUNT(*) FROM outbox WHERE status = 'sent'") == [(16,)]
    assert len(sent) == 16, "each message once"
    assert len(set(rows("SELECT claimed_by FROM outbox"))) == 2, "both processes sent"
    for persona in personas:
        to_them = [(text, at) for recipient, text, at in sent if recipient == f"demo:{persona}"]
        assert [text for text, _ in to_them] == [f"{persona}-{n}" for n in range(4)]
        gaps = [later - earlier for (_, earlier), (_, later) in itertools.pairwise(to_them)]
        assert min(gaps) >= 0.3
