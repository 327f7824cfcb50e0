"""The durable inbox: stored before anything else, handled in order per sender, done in the
engine's own transaction, failed once and skipped when it cannot be handled."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable

import pytest

from bot.base.models import Channel, Inbound, Reply, Unsent
from bot.core.engine import Engine
from bot.core.inbox import Inbox, settle
from bot.core.notify import queue_unsent
from bot.storage.database import Database
from bot.storage.inbox import STATUSES, InboxRow, Received
from tests.conftest import FakeClock, RowCounter


def update(ref: str, sender: str, raw: str = "{}") -> Received:
    return Received(update_ref=ref, sender=sender, raw=raw)


async def test_each_senders_updates_are_handled_in_the_order_they_arrived(
    database: Database,
) -> None:
    inbox = Inbox(database)
    handled: list[str] = []
    gate, b_done = asyncio.Event(), asyncio.Event()

    async def slow_for_a(row: InboxRow) -> None:
        if row.update_ref == "a1":
            await gate.wait()  # a's first update takes long; b is not held up, a's second waits
        handled.append(row.update_ref)
        if row.update_ref == "b2":
            b_done.set()

    inbox.route(Channel.TELEGRAM, slow_for_a)
    await inbox.receive(Channel.TELEGRAM, [update("a1", "a"), update("b1", "b")])
    await inbox.receive(Channel.TELEGRAM, [update("a2", "a"), update("b2", "b")])
    await b_done.wait()
    assert handled == ["b1", "b2"]
    gate.set()
    await inbox.drained()
    assert handled == ["b1", "b2", "a1", "a2"]


async def test_an_update_stored_twice_is_handled_once(database: Database, rows: RowCounter) -> None:
    inbox = Inbox(database)
    handled: list[str] = []

    async def record(row: InboxRow) -> None:
        handled.append(row.update_ref)

    gate = asyncio.Event()

    async def held(row: InboxRow) -> None:
        await gate.wait()
        await record(row)

    inbox.route(Channel.TELEGRAM, held)
    await inbox.receive(Channel.TELEGRAM, [update("1", "a")])
    await inbox.receive(Channel.TELEGRAM, [update("1", "a")])  # fetched again before its ack
    gate.set()
    await inbox.drained()
    assert handled == ["1"]
    assert rows.count("inbox") == 0, "handled updates leave the inbox"


async def test_what_was_stored_before_a_crash_is_handled_at_the_next_start(
    database: Database, clock: FakeClock, rows: RowCounter
) -> None:
    async with database.unit_of_work() as uow:  # stored, then the process died
        await uow.inbox.store(
            Channel.WHATSAPP, [update("w1", "p"), update("w2", "p"), update("w3", "q")], clock()
        )
    inbox = Inbox(database)
    handled: list[str] = []

    async def record(row: InboxRow) -> None:
        handled.append(row.update_ref)

    inbox.route(Channel.WHATSAPP, record)
    assert await inbox.recover() == 3
    await inbox.drained()
    assert sorted(handled) == ["w1", "w2", "w3"]
    assert handled.index("w1") < handled.index("w2")
    assert rows.count("inbox") == 0


async def test_a_poison_update_is_kept_once_as_failed_and_the_rest_go_on(
    database: Database, rows: RowCounter, caplog: pytest.LogCaptureFixture
) -> None:
    inbox = Inbox(database)
    handled: list[str] = []

    async def picky(row: InboxRow) -> None:
        if row.raw.startswith("poison"):
            raise ValueError(f"cannot read {row.raw!r}")
        handled.append(row.update_ref)

    inbox.route(Channel.TELEGRAM, picky)
    with caplog.at_level(logging.ERROR):
        await inbox.receive(
            Channel.TELEGRAM,
            [
                update("1", "a"),
                update("2", "a", "poison: rahasia pribadi"),
                update("3", "a"),
                update("4", "b"),
            ],
        )
        await inbox.drained()
    assert sorted(handled) == ["1", "3", "4"]
    assert rows("SELECT update_ref, error FROM inbox") == [
        ("2", "ValueError: cannot read 'poison: rahasia pribadi'")
    ]
    logged = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(logged) == 1
    assert "ValueError" in logged[0].getMessage()
    assert "rahasia" not in logged[0].getMessage(), "the log never quotes the update"
    async with database.unit_of_work() as uow:
        assert await uow.inbox.waiting() == [], "a failed update is not tried again"


async def test_the_engine_marks_the_update_handled_in_its_own_transaction(
    engine: Engine, database: Database, clock: FakeClock, rows: RowCounter
) -> None:
    """Handled with the engine's commit, the answer kept with it; gone once answered."""
    inbox = Inbox(database)
    committed: list[list[tuple[object, ...]]] = []

    async def through_the_engine(row: InboxRow) -> None:
        inbound = Inbound(
            channel=Channel.TELEGRAM,
            user_ref=row.sender,
            message_id=row.update_ref,
            received_at=clock(),
            text=row.raw,
        )
        await engine.handle(inbound)
        answers = rows("SELECT answer FROM inbox")
        committed.append([(json.loads(str(a))["replies"][0]["key"],) for (a,) in answers])

    inbox.route(Channel.TELEGRAM, through_the_engine)
    await inbox.receive(Channel.TELEGRAM, [update("1", "555", "/start")])
    await inbox.drained()
    assert committed == [[("registration.welcome",)]], "handled, its answer still to send"
    assert rows("SELECT user_ref FROM inbound_seen WHERE message_id = '1'") == [("555",)]
    assert rows.count("inbox") == 0, "answered: gone"


async def test_answers_not_sent_before_a_crash_go_through_the_outbox_at_the_next_start(
    database: Database, clock: FakeClock, rows: RowCounter
) -> None:
    replies = (Reply(key="a", text="satu"), Reply(key="b", text="dua"))
    answer = Unsent(channel=Channel.TERMINAL, user_ref="demo:budi", message_id="m1",
                    replies=replies)  # fmt: skip
    async with database.unit_of_work() as uow:  # handled, then the process died
        (row,) = await uow.inbox.store(Channel.TERMINAL, [update("m1", "demo:budi")], clock())
        await uow.inbox.answering(row.id, answer.model_dump_json())
        await queue_unsent(uow, answer, clock(), start=1)  # "dua" had been deferred already
    inbox = Inbox(database)
    assert await inbox.recover() == 1
    assert [
        (key, urgent, json.loads(str(payload))["text"])
        for key, urgent, payload in rows(
            "SELECT dedupe_key, urgent, payload FROM outbox WHERE kind = 'reply'"
            " ORDER BY dedupe_key"
        )
    ] == [("reply:terminal:m1:0", 1, "satu"), ("reply:terminal:m1:1", 1, "dua")]
    assert rows.count("inbox") == 0


async def test_an_engine_failure_rolls_back_and_leaves_the_update_failed(
    engine: Engine, database: Database, clock: FakeClock, rows: RowCounter
) -> None:
    inbox = Inbox(database)

    async def breaks_mid_turn(row: InboxRow) -> None:
        async with database.unit_of_work() as uow:
            await settle(uow)
            raise RuntimeError("a bug in a step")

    inbox.route(Channel.TELEGRAM, breaks_mid_turn)
    await inbox.receive(Channel.TELEGRAM, [update("1", "a")])
    await inbox.drained()
    assert rows("SELECT update_ref, error FROM inbox") == [("1", "RuntimeError: a bug in a step")]


async def test_quiet_while_nobodys_message_is_being_answered(database: Database) -> None:
    inbox = Inbox(database)
    answered = asyncio.Event()

    async def answer(row: InboxRow) -> None:
        if row.sender != STATUSES:
            await answered.wait()

    inbox.route(Channel.WHATSAPP, answer)
    await inbox.receive(Channel.WHATSAPP, [update("s1", STATUSES)])
    await inbox.drained()
    assert await inbox.quiet(0), "a platform's report on a sent message is nobody waiting"
    await inbox.receive(Channel.WHATSAPP, [update("m1", "62811"), update("m2", "62811")])
    assert not await inbox.quiet(0.05), "someone waits for an answer"
    answered.set()
    assert await inbox.quiet(5)
    await inbox.drained()


@pytest.mark.sqlite_only(reason="PostgreSQL has a pool of connections, no one write lock")
async def test_a_persons_update_is_stored_and_answered_first_for_the_write_lock(
    database: Database,
) -> None:
    inbox = Inbox(database)
    order: list[str] = []
    release, go = asyncio.Event(), asyncio.Event()

    async def answer(row: InboxRow) -> None:
        await go.wait()
        async with database.unit_of_work() as uow:
            await settle(uow)
        order.append(f"answer {row.update_ref}")

    async def holding() -> None:
        async with database.unit_of_work():
            await release.wait()

    async def delivery(name: str) -> None:
        async with database.unit_of_work() as uow:
            await uow.connection.execute("SELECT 1")
        order.append(name)

    async def receive() -> None:
        await inbox.receive(Channel.TELEGRAM, [update("1", "a")])
        order.append("stored 1")

    async def in_turn(*steps: Awaitable[None]) -> list[asyncio.Task[None]]:
        """Start each step once the one before waits for the lock."""
        tasks = []
        for step in steps:
            tasks.append(asyncio.ensure_future(step))
            await asyncio.sleep(0.01)
        return tasks

    inbox.route(Channel.TELEGRAM, answer)
    tasks = await in_turn(holding(), delivery("claim"), receive())
    release.set()
    await asyncio.gather(*tasks)
    assert order == ["stored 1", "claim"]
    release.clear()
    tasks = await in_turn(holding(), delivery("mark"))
    go.set()  # the answer asks for the lock after delivery did
    await asyncio.sleep(0.01)
    release.set()
    await asyncio.gather(*tasks)
    await inbox.drained()
    assert order == ["stored 1", "claim", "answer 1", "mark"]


async def test_quiet_once_the_answer_is_settled_not_once_it_reached_the_platform(
    database: Database,
) -> None:
    inbox = Inbox(database)
    settled, sent = asyncio.Event(), asyncio.Event()

    async def answer(row: InboxRow) -> None:
        async with database.unit_of_work() as uow:
            await settle(
                uow,
                Unsent(
                    channel=Channel.TELEGRAM,
                    user_ref="62811",
                    message_id="1",
                    replies=(Reply(key="k", text="hai"),),
                ),
            )
        settled.set()
        await sent.wait()  # the platform takes its time to take the answer

    inbox.route(Channel.TELEGRAM, answer)
    await inbox.receive(Channel.TELEGRAM, [update("1", "62811")])
    await asyncio.wait_for(settled.wait(), 5)
    assert await inbox.quiet(0), "a broadcast need not wait for the platform's round trip"
    sent.set()
    await inbox.drained()
