"""Outbox delivery: nothing lost, nothing doubled, failures retried, the unreachable skipped."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools

import pytest

import scheduler.delivery
from bot.base import keys
from bot.base.models import Channel, Reply
from bot.core.outbound import PermanentFailure, TemporaryFailure, Unreachable
from bot.storage.database import Database
from scheduler.delivery import OutboxDelivery
from scheduler.pacing import Lane, RateLimit
from tests.conftest import ZONE, FakeClock, RowCounter
from tests.fakes.senders import ScriptedSender


async def queue(
    database: Database, clock: FakeClock, persona: str, texts: list[str], urgent: bool = False
) -> None:
    async with database.unit_of_work() as uow:
        user = await uow.users.by_platform(Channel.TERMINAL, f"demo:{persona}")
        assert user is not None
        for text in texts:
            await uow.outbox.enqueue(
                user_id=user.id, kind="t", payload=Reply(key="t", text=text).model_dump_json(),
                dedupe_key=keys.queued_reply("test", f"{persona}:{text}", 0), now=clock(),
                urgent=urgent,
            )  # fmt: skip


def delivery(
    database: Database, clock: FakeClock, sender: ScriptedSender, **options: object
) -> OutboxDelivery:
    limits = {Channel.TERMINAL: RateLimit(per_second=10_000)}
    senders = {Channel.TERMINAL: sender}
    return OutboxDelivery(database, senders, limits, clock=clock, default_timezone=ZONE, **options)  # type: ignore[arg-type]


async def test_urgent_first_and_each_message_once(database: Database, clock: FakeClock) -> None:
    await queue(database, clock, "budi", ["biasa 1", "biasa 2"])
    await queue(database, clock, "sari", ["SOS"], urgent=True)
    sender = ScriptedSender()
    job = delivery(database, clock, sender)
    assert (await job.deliver_all()).sent == 3
    assert (await job.deliver_all()).handled == 0
    assert sender.delivered[0] == ("demo:sari", "SOS")
    assert sorted(t for _, t in sender.delivered) == ["SOS", "biasa 1", "biasa 2"]


async def test_a_claim_left_by_a_crashed_worker_is_retried_after_its_lease(
    database: Database, clock: FakeClock, rows: RowCounter
) -> None:
    await queue(database, clock, "budi", ["penting"])
    async with database.unit_of_work() as uow:
        claimed = await uow.outbox.claim(
            Channel.TERMINAL, clock(), clock() + dt.timedelta(seconds=60), 10
        )
    assert len(claimed) == 1  # ...and then the process dies before sending
    sender = ScriptedSender()
    job = delivery(database, clock, sender)
    assert (await job.deliver_all()).handled == 0, "still leased"
    clock.advance(seconds=61)
    assert (await job.deliver_all()).sent == 1
    assert sender.delivered == [("demo:budi", "penting")]
    assert rows("SELECT status, attempts FROM outbox") == [("sent", 2)]


async def test_temporary_failures_back_off_then_fail_with_the_error(
    database: Database, clock: FakeClock, rows: RowCounter
) -> None:
    await queue(database, clock, "budi", ["x"])
    sender = ScriptedSender(lambda recipient, attempt: TemporaryFailure("502 Bad Gateway"))
    job = delivery(database, clock, sender, max_attempts=3)
    for _ in range(3):
        await job.deliver_all()
        assert rows("SELECT status FROM outbox") in ([("pending",)], [("failed",)])
        clock.advance(hours=1)
    assert rows("SELECT status, attempts, last_error FROM outbox") == [
        ("failed", 3, "502 Bad Gateway")
    ]
    assert sender.attempts["demo:budi"] == 3


async def test_a_temporary_failure_then_success_delivers_once(
    database: Database, clock: FakeClock
) -> None:
    await queue(database, clock, "budi", ["x"])
    sender = ScriptedSender(
        lambda recipient, attempt: TemporaryFailure("timeout") if attempt == 1 else None
    )
    job = delivery(database, clock, sender)
    await job.deliver_all()
    assert sender.delivered == []
    assert (await job.deliver_all()).handled == 0, "not before its back-off"
    clock.advance(seconds=5)
    await job.deliver_all()
    assert sender.delivered == [("demo:budi", "x")]


async def test_unreachable_recipient_is_skipped_from_then_on(
    database: Database, clock: FakeClock, rows: RowCounter
) -> None:
    await queue(database, clock, "budi", ["1", "2", "3"])
    await queue(database, clock, "sari", ["ok"])
    sender = ScriptedSender(lambda r, a: Unreachable("blocked") if r == "demo:budi" else None)
    job = delivery(database, clock, sender)
    await job.deliver_all()
    assert sender.attempts == {"demo:budi": 1, "demo:sari": 1}
    await queue(database, clock, "budi", ["4"])
    await job.deliver_all()
    assert sender.attempts["demo:budi"] == 1
    statuses = rows(
        "SELECT status FROM outbox JOIN users ON users.id = outbox.user_id"
        " WHERE users.name = 'Budi'"
    )
    assert {s for (s,) in statuses} == {"unreachable", "pending"}


async def test_a_refused_message_fails_at_once(
    database: Database, clock: FakeClock, rows: RowCounter
) -> None:
    await queue(database, clock, "budi", ["x"])
    job = delivery(
        database, clock, ScriptedSender(lambda r, a: PermanentFailure("Bad Request: text is empty"))
    )
    await job.deliver_all()
    assert rows("SELECT status FROM outbox") == [("failed",)]


@pytest.mark.parametrize("interval", [1.0])
async def test_per_chat_interval_defers_without_counting_an_attempt(
    database: Database, clock: FakeClock, rows: RowCounter, interval: float
) -> None:
    await queue(database, clock, "budi", ["1", "2"])
    sender = ScriptedSender()
    limits = {Channel.TERMINAL: RateLimit(per_second=10_000, per_chat_interval=interval)}
    job = OutboxDelivery(
        database, {Channel.TERMINAL: sender}, limits, clock=clock, default_timezone=ZONE
    )
    stats = await job.deliver_all()
    assert (stats.sent, stats.deferred) == (1, 1)
    assert sorted(rows("SELECT status, attempts FROM outbox")) == [("pending", 0), ("sent", 1)]


async def test_quiet_hours_hold_ordinary_messages_but_not_urgent_ones(
    database: Database, clock: FakeClock
) -> None:
    clock.now = dt.datetime(2026, 11, 23, 14, 0, tzinfo=dt.UTC)  # 22:00 WITA
    await queue(database, clock, "budi", ["pengingat"])
    await queue(database, clock, "sari", ["SOS"], urgent=True)
    sender = ScriptedSender()
    job = delivery(database, clock, sender)
    await job.deliver_all()
    assert sender.delivered == [("demo:sari", "SOS")]
    clock.now = dt.datetime(2026, 11, 23, 20, 59, tzinfo=dt.UTC)  # 04:59 WITA
    await job.deliver_all()
    assert len(sender.delivered) == 1
    clock.now = dt.datetime(2026, 11, 23, 21, 0, tzinfo=dt.UTC)  # 05:00 WITA
    await job.deliver_all()
    assert sender.delivered[-1] == ("demo:budi", "pengingat")
    assert sender.attempts["demo:budi"] == 1, "held, not attempted"


async def test_messages_wait_while_a_worker_is_at_sea(database: Database, clock: FakeClock) -> None:
    async with database.unit_of_work() as uow:
        budi = await uow.users.by_platform(Channel.TERMINAL, "demo:budi")
        assert budi is not None
        await uow.users.set_away(budi.id, clock() + dt.timedelta(days=3))
    await queue(database, clock, "budi", ["pengingat"])
    sender = ScriptedSender()
    job = delivery(database, clock, sender)
    await job.deliver_all()
    clock.advance(days=2)
    await job.deliver_all()
    assert sender.delivered == []
    clock.advance(days=1, hours=1)
    await job.deliver_all()
    assert sender.delivered == [("demo:budi", "pengingat")]


class VirtualTime:
    """A monotonic clock and a sleep that advance together, and move the wall clock too."""

    def __init__(self, clock: FakeClock) -> None:
        self.now = 0.0
        self.clock = clock

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(0)  # sends started before it run at the time they were started
        self.now += seconds
        self.clock.advance(seconds=seconds)


async def test_overall_rate_limit_counted_per_simulated_second(
    database: Database, clock: FakeClock
) -> None:
    for persona in ("budi", "sari", "rahmat", "andi"):
        await queue(database, clock, persona, [f"{persona}-{n}" for n in range(30)])
    virtual = VirtualTime(clock)
    sent_at: list[float] = []

    class Timed(ScriptedSender):
        async def send(self, recipient: str, reply: Reply) -> None:
            sent_at.append(virtual.now)

    limits = {Channel.TERMINAL: RateLimit(per_second=30)}
    job = OutboxDelivery(
        database, {Channel.TERMINAL: Timed()}, limits, clock=clock, default_timezone=ZONE,
        monotonic=virtual.monotonic, sleep=virtual.sleep, batch=200,
    )  # fmt: skip
    while (await job.deliver_all()).handled:
        pass
    assert len(sent_at) == 120
    per_second: dict[int, int] = {}
    for moment in sent_at:
        second = int(moment + 1e-9)  # float noise of the virtual clock, not of the pacer
        per_second[second] = per_second.get(second, 0) + 1
    assert max(per_second.values()) <= 30
    assert sent_at[-1] >= 3.9, "120 messages at 30/s take about four seconds"


async def test_per_chat_limit_spaces_messages_to_one_person(
    database: Database, clock: FakeClock
) -> None:
    await queue(database, clock, "budi", [f"b{n}" for n in range(5)])
    virtual = VirtualTime(clock)
    sent_at: list[float] = []

    class Timed(ScriptedSender):
        async def send(self, recipient: str, reply: Reply) -> None:
            sent_at.append(virtual.now)

    limits = {Channel.TERMINAL: RateLimit(per_second=30, per_chat_interval=1.0)}
    job = OutboxDelivery(
        database, {Channel.TERMINAL: Timed()}, limits, clock=clock, default_timezone=ZONE,
        monotonic=virtual.monotonic, sleep=virtual.sleep,
    )  # fmt: skip
    for _ in range(20):
        await job.deliver_all()
        await virtual.sleep(0.5)
    assert len(sent_at) == 5
    gaps = [later - earlier for earlier, later in itertools.pairwise(sent_at)]
    assert min(gaps) >= 1.0


async def test_the_last_send_to_each_chat_is_remembered_only_while_it_matters() -> None:
    """A broadcast to 100,000 people must not leave 100,000 timestamps behind."""
    now = [0.0]

    async def sleep(seconds: float) -> None:
        now[0] += seconds

    async def send() -> None:
        pass

    lane = Lane(RateLimit(per_second=1.0, per_chat_interval=3.0), lambda: now[0], sleep)
    for second in range(100):
        assert await lane.start(f"chat{second}", send, bulk=False)
    await lane.drain()
    assert list(lane.last_to_chat) == ["chat96", "chat97", "chat98", "chat99"]
    now[0] += 1
    assert await lane.start("chat97", send, bulk=False)
    assert list(lane.last_to_chat) == ["chat98", "chat99", "chat97"]


async def test_an_unreachable_person_is_tried_once_on_their_linked_account(
    database: Database, clock: FakeClock, rows: RowCounter
) -> None:
    async with database.unit_of_work() as uow:
        budi = await uow.users.by_platform(Channel.TERMINAL, "demo:budi")
        assert budi is not None
        code = await uow.identities.new_code(budi.id, clock(), dt.timedelta(minutes=15))
        await uow.identities.link(code, Channel.TELEGRAM, "tg-budi", clock())
    await queue(database, clock, "budi", ["satu", "dua"])
    gone = ScriptedSender(lambda recipient, attempt: Unreachable("131026: not on WhatsApp"))
    telegram = ScriptedSender()
    job = OutboxDelivery(
        database,
        {Channel.TERMINAL: gone, Channel.TELEGRAM: telegram},
        {c: RateLimit(per_second=10_000, per_chat_interval=0) for c in Channel},
        clock=clock,
        default_timezone=ZONE,
    )
    stats = await job.deliver_all()
    assert (stats.rerouted, stats.unreachable) == (1, 0)
    await job.deliver_all()  # the apps' lanes run side by side: Telegram takes them next time
    assert sorted(telegram.delivered) == [("tg-budi", "dua"), ("tg-budi", "satu")]
    assert gone.attempts == {"demo:budi": 1}, "the second message went straight to Telegram"
    assert rows("SELECT rerouted_from FROM outbox ORDER BY id") == [("terminal",), (None,)]
    assert rows("SELECT channel, unreachable_at IS NULL FROM users WHERE id = ?", budi.id) == [
        ("telegram", 1)
    ]
    await queue(database, clock, "budi", ["tiga"])  # now Telegram says he is gone too
    telegram.script = lambda recipient, attempt: Unreachable("403: blocked")
    stats = await job.deliver_all()
    assert (stats.rerouted, stats.unreachable) == (0, 1), "once: never back to the first app"
    assert gone.attempts == {"demo:budi": 1}
    assert rows("SELECT unreachable_at IS NOT NULL FROM users WHERE id = ?", budi.id) == [(1,)]


async def test_a_row_that_waited_out_its_lease_is_left_for_the_next_claim(
    database: Database, clock: FakeClock, rows: RowCounter
) -> None:
    """Another process may claim a row whose lease ran out: sending it then could send it
    twice, so a row still waiting when only the last quarter of its lease is left stays."""
    for persona in ("budi", "sari", "rahmat", "andi"):
        await queue(database, clock, persona, [f"{persona}-1", f"{persona}-2"])
    virtual = VirtualTime(clock)
    sender = ScriptedSender()
    job = OutboxDelivery(
        database, {Channel.TERMINAL: sender}, {Channel.TERMINAL: RateLimit(per_second=1)},
        clock=clock, default_timezone=ZONE, monotonic=virtual.monotonic, sleep=virtual.sleep,
        lease=dt.timedelta(seconds=4), batch=10,
    )  # fmt: skip
    assert (await job.deliver_all()).sent == 3, "sends start at 0, 1 and 2 s; 3 s is too late"
    assert rows("SELECT COUNT(*) FROM outbox WHERE status = 'pending'") == [(5,)]
    while rows("SELECT COUNT(*) FROM outbox WHERE status = 'pending'") != [(0,)]:
        await job.deliver_all()
        await virtual.sleep(1.0)
    assert len(sender.delivered) == 8
    assert len(set(sender.delivered)) == 8, "each once"


async def test_the_next_batch_is_claimed_while_the_last_rows_of_one_start(
    database: Database, clock: FakeClock, rows: RowCounter
) -> None:
    """A lane at a high rate must not wait for a claim between two batches. One send at a
    time: the second-to-last row of the first batch is not answered until the next batch is
    claimed, which therefore must not wait for the first batch's last row to start."""
    for persona in ("budi", "sari", "rahmat", "andi"):
        await queue(database, clock, persona, [f"{persona}-{n}" for n in range(10)])
    batch = 20
    second_batch = [row[0] for row in rows("SELECT id FROM outbox ORDER BY id")][batch:]

    def second_batch_claimed() -> bool:
        marks = ", ".join("?" * len(second_batch))
        claimed = f"SELECT COUNT(*) FROM outbox WHERE claimed_until IS NOT NULL AND id IN ({marks})"
        return rows(claimed, *second_batch) == [(len(second_batch),)]

    class Waiting(ScriptedSender):
        async def send(self, recipient: str, reply: Reply) -> str | None:
            if len(self.delivered) == batch - 2:
                for _ in range(500):
                    if second_batch_claimed():
                        break
                    await asyncio.sleep(0.01)
                else:
                    raise AssertionError("the next batch was not claimed in 5 s")
            return await super().send(recipient, reply)

    sender = Waiting()
    limits = {Channel.TERMINAL: RateLimit(per_second=10_000, in_flight=1)}
    job = OutboxDelivery(
        database, {Channel.TERMINAL: sender}, limits, clock=clock, default_timezone=ZONE,
        batch=batch,
    )  # fmt: skip
    assert (await job.deliver_all(batches=None)).sent == 40
    assert len(set(sender.delivered)) == 40, "each once"


async def test_a_stop_gives_back_the_batch_claimed_ahead(
    database: Database, clock: FakeClock, rows: RowCounter, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Stopped while the next batch is already claimed, delivery gives that batch back at once
    (not when its lease ends), with the rows of this batch that had not started."""
    monkeypatch.setattr(scheduler.delivery, "STOP_GRACE", 0.1)
    for persona in ("budi", "sari", "rahmat", "andi"):
        await queue(database, clock, persona, [f"{persona}-{n}" for n in range(10)])
    batch = 20
    stuck = asyncio.Event()

    class Stuck(ScriptedSender):
        async def send(self, recipient: str, reply: Reply) -> str | None:
            if len(self.delivered) == batch - 5:  # the next batch is being claimed by now
                stuck.set()
                await asyncio.Event().wait()
            return await super().send(recipient, reply)

    limits = {Channel.TERMINAL: RateLimit(per_second=10_000, in_flight=1)}
    job = OutboxDelivery(
        database, {Channel.TERMINAL: Stuck()}, limits, clock=clock, default_timezone=ZONE,
        batch=batch,
    )  # fmt: skip
    running = asyncio.create_task(job.deliver_all(batches=None))
    await asyncio.wait_for(stuck.wait(), 5)
    await asyncio.sleep(0.2)  # the claim ahead is in
    running.cancel()
    with pytest.raises(asyncio.CancelledError):
        await running
    held = "SELECT COUNT(*) FROM outbox WHERE status = 'pending' AND claimed_until IS NOT NULL"
    assert rows(held) == [(1,)], "only the send that was under way keeps its lease"
    assert rows("SELECT COUNT(*) FROM outbox WHERE status = 'sent'") == [(batch - 5,)]
