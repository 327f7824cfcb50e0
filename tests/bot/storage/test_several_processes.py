"""Several bot processes on one PostgreSQL database. Each `Database` here has its own pool of
connections, as each process would: what keeps them apart is PostgreSQL's locks, not anything
held in Python."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import pytest

from bot.app.runner import RunError, refuse_second_poller
from bot.base import keys
from bot.base.models import Channel
from bot.base.settings import Settings
from bot.base.texts import Texts
from bot.core.engine import Engine
from bot.storage.database import Database
from content.knowledge import Knowledge
from handlers import CONVERSATIONS
from tests.conftest import SCRIPTED_PACE, START, FakeClock, Person

pytestmark = pytest.mark.postgresql_only(reason="locks between processes are PostgreSQL's")


def engine_on(
    database: Database,
    folder: Path,
    knowledge: Knowledge,
    clock: FakeClock,
    per_minute: int = SCRIPTED_PACE,
) -> Engine:
    settings = Settings(data_dir=folder, inbound_per_minute=per_minute)
    return Engine(database, Texts.load(), settings, knowledge, CONVERSATIONS, clock=clock)


async def test_a_persons_message_waits_for_their_turn_in_another_process(
    database: Database, second: Database, tmp_path: Path, knowledge: Knowledge, clock: FakeClock
) -> None:
    rudi = Person(engine_on(second, tmp_path, knowledge, clock), "t:rudi")
    wati = Person(engine_on(second, tmp_path, knowledge, clock), "t:wati")
    async with database.unit_of_work() as uow:
        await uow.turns.hold("terminal:t:rudi")  # the first process is handling Rudi
        waiting = asyncio.create_task(rudi.say("/start"))
        assert (await wati.say("/start"))[0].key == "registration.welcome", "others go on"
        await asyncio.sleep(0.3)
        assert not waiting.done(), "Rudi's next message waits for the first one's commit"
    assert (await waiting)[0].key == "registration.welcome"


async def test_two_processes_talking_with_the_same_people_keep_each_conversation_whole(
    database: Database, second: Database, tmp_path: Path, knowledge: Knowledge, clock: FakeClock
) -> None:
    """Thirty people register at once, each message going to the process whose turn it is."""
    engines = [engine_on(db, tmp_path, knowledge, clock) for db in (database, second)]

    async def register(n: int) -> None:
        steps = [("say", "/start"), ("tap", "lang:id"), ("tap", "consent:yes"),
                 ("say", f"Orang {n}"), ("tap", "phone:skip"), ("tap", "code:none")]  # fmt: skip
        for i, (kind, value) in enumerate(steps):
            who = Person(engines[(n + i) % 2], f"t:p{n}")
            await (who.say(value) if kind == "say" else who.tap(value))
        assert who.keys[-1] == "menu.title", who.keys

    await asyncio.gather(*(register(n) for n in range(30)))
    async with database.unit_of_work() as uow:
        names = {u.name for u in await uow.users.all()}
    assert {f"Orang {n}" for n in range(30)} <= names


async def test_claims_from_two_processes_never_take_the_same_row(
    database: Database, second: Database
) -> None:
    async with database.unit_of_work() as uow:
        users = await uow.users.all()
        for n in range(300):
            user = users[n % len(users)]
            key = keys.queued_reply("test", f"m{n}", 0)
            await uow.outbox.enqueue(
                user_id=user.id, kind="t", payload="{}", dedupe_key=key, now=START
            )
    lease = START + dt.timedelta(hours=1)
    taken: list[list[int]] = [[], []]

    async def claim_all(index: int, db: Database) -> None:
        while True:
            async with db.unit_of_work() as uow:
                rows = await uow.outbox.claim(Channel.TERMINAL, START, lease, 7)
                await asyncio.sleep(0)  # the other process claims meanwhile
            if not rows:
                return
            taken[index].extend(row.id for row in rows)

    await asyncio.gather(claim_all(0, database), claim_all(1, second))
    assert len(taken[0]) + len(taken[1]) == 300, "each row once"
    assert not set(taken[0]) & set(taken[1])
    assert taken[0], "the first process sent"
    assert taken[1], "the second process sent"


async def test_one_process_holds_the_scheduled_jobs_until_it_stops(
    database: Database, database_target: Path | str
) -> None:
    other = await Database.open(database_target)
    try:
        assert await other.try_hold("scheduled-jobs")
        assert await other.try_hold("scheduled-jobs"), "asked again, it still holds them"
        assert not await database.try_hold("scheduled-jobs")
    finally:
        await other.close()  # the process stops (or dies: its connection goes either way)
    for _ in range(50):  # the server lets go once that connection's backend has exited
        if await database.try_hold("scheduled-jobs"):
            break
        await asyncio.sleep(0.1)
    else:
        raise AssertionError("the lock stayed taken after its process stopped")


async def test_a_second_telegram_poller_is_refused_and_told_to_use_webhooks(
    database: Database, second: Database, tmp_path: Path
) -> None:
    polling = Settings(data_dir=tmp_path, telegram_token="1:x")
    await refuse_second_poller(database, polling)
    with pytest.raises(RunError, match="webhook mode"):
        await refuse_second_poller(second, polling)
    webhook = Settings(
        data_dir=tmp_path,
        telegram_token="1:x",
        telegram_webhook_url="https://bot.example/telegram",
        telegram_webhook_secret="s",
    )
    await refuse_second_poller(second, webhook)  # webhook processes run side by side


async def test_a_flood_spread_over_two_processes_is_warned_once_then_ignored_by_both(
    database: Database, second: Database, tmp_path: Path, knowledge: Knowledge, clock: FakeClock
) -> None:
    engines = [engine_on(db, tmp_path, knowledge, clock, per_minute=5) for db in (database, second)]
    budi = [Person(engine, "demo:budi") for engine in engines]
    for n in range(5):
        assert await budi[n % 2].say("menu"), "five a minute are answered, in either process"
        clock.advance(seconds=1)
    assert (await budi[1].say("menu"))[0].key == "common.slow_down", "the sixth, counted by both"
    for n in range(6):
        assert await budi[n % 2].say("/lapor") == [], "then neither process answers"
    sari = Person(engines[1], "demo:sari")
    assert (await sari.say("menu"))[0].key == "menu.title", "another person is answered"
    await budi[0].say("/sos")
    assert budi[0].keys == ["sos.ask_place"], "SOS always gets through"
    await budi[1].say("dermaga Tanjung Laut")
    assert budi[1].keys[0] == "sos.sent", "excused in the SOS, whichever process answers"
    assert await budi[0].say("menu") == [], "the SOS is sent: the pause holds again"
    clock.advance(seconds=61)
    assert (await budi[1].say("menu"))[0].key == "menu.title", "the pause is over"


async def test_the_counts_of_people_quiet_for_a_minute_are_deleted(
    database: Database, second: Database, tmp_path: Path, knowledge: Knowledge, clock: FakeClock
) -> None:
    engines = [engine_on(db, tmp_path, knowledge, clock, per_minute=2) for db in (database, second)]
    for n in range(4):
        await Person(engines[n % 2], f"t:p{n}").say("/start")
    flooder = Person(engines[0], "t:flooder")
    for _ in range(3):
        await flooder.say("/start")
    async with database.unit_of_work() as uow:
        assert await uow.floods.tracked() == 5
    clock.advance(seconds=61)  # the pause (60 s) and everyone's minute are over
    await Person(engines[1], "t:late").say("/start")
    async with second.unit_of_work() as uow:
        assert await uow.floods.tracked() == 1, "only the one who just wrote is left"
