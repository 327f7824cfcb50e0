"""A flood from one sender gets one warning and is then ignored a while; others are untouched."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from bot.base.settings import Settings
from bot.base.texts import Texts
from bot.core.engine import Engine
from bot.core.flood import FloodGuard, Verdict
from bot.storage.database import Database
from content.knowledge import Knowledge
from handlers import CONVERSATIONS
from tests.conftest import START, FakeClock, RowCounter, person


async def test_a_flood_is_warned_once_then_ignored_without_slowing_others(
    database: Database, texts: Texts, knowledge: Knowledge, clock: FakeClock, tmp_path: Path,
    rows: RowCounter,
) -> None:  # fmt: skip
    settings = Settings(data_dir=tmp_path, inbound_per_minute=5, inbound_pause_seconds=60)
    engine = Engine(database, texts, settings, knowledge, CONVERSATIONS, clock=clock)
    budi, sari = person(engine, "budi"), person(engine, "sari")
    for _ in range(5):
        assert await budi.say("menu")
        clock.advance(seconds=1)
    assert await budi.say("menu") == budi.last
    assert budi.keys == ["common.slow_down"]
    assert "SOS" in budi.last[0].text
    seen = rows.count("inbound_seen")
    session = rows("SELECT * FROM sessions WHERE platform_id = 'demo:budi'")
    for _ in range(20):
        assert await budi.say("/lapor") == []
    assert rows.count("inbound_seen") == seen, "ignored messages leave nothing behind"
    assert rows("SELECT * FROM sessions WHERE platform_id = 'demo:budi'") == session
    await sari.say("menu")
    assert sari.keys == ["menu.title"], "another person is answered as usual"
    await budi.say("sos")
    assert budi.keys[0].startswith("sos."), "SOS always gets through"
    clock.advance(seconds=61)
    await budi.say("/batal")
    assert budi.keys == ["common.cancelled", "menu.title"]


def test_messages_spread_over_more_than_a_minute_never_trip_it() -> None:
    guard = FloodGuard(per_minute=3, pause=dt.timedelta(seconds=60))
    verdicts = {guard.check("a", START + dt.timedelta(seconds=21 * n)) for n in range(50)}
    assert verdicts == {Verdict.ANSWER}


def test_the_pause_ends_and_the_count_starts_afresh() -> None:
    guard = FloodGuard(per_minute=2, pause=dt.timedelta(seconds=30))
    at = [START + dt.timedelta(seconds=n) for n in range(4)]
    assert [guard.check("a", t) for t in at] == [
        Verdict.ANSWER,
        Verdict.ANSWER,
        Verdict.WARN,
        Verdict.IGNORE,
    ]
    later = START + dt.timedelta(seconds=33)
    assert [guard.check("a", later), guard.check("b", later)] == [Verdict.ANSWER, Verdict.ANSWER]


def test_memory_follows_the_senders_active_in_the_last_minute() -> None:
    guard = FloodGuard(per_minute=20, pause=dt.timedelta(seconds=60))
    for n in range(30_000):
        guard.check(n, START)
    later = START + dt.timedelta(minutes=2)
    for n in range(30_000, 30_100):
        guard.check(n, later)
    assert guard.tracked() <= 30_100
    for n in range(30_100, 60_000):
        guard.check(n, later)
    assert guard.tracked() < 40_000, "the quiet senders of two minutes ago were let go"


async def test_an_sos_after_a_flood_gets_its_typed_place_through_and_the_kader_alerted(
    database: Database, texts: Texts, knowledge: Knowledge, clock: FakeClock, tmp_path: Path,
    rows: RowCounter,
) -> None:  # fmt: skip
    """From /sos until its alert is queued, nothing the person sends is taken for a flood;
    afterwards the pause holds again."""
    settings = Settings(data_dir=tmp_path, inbound_per_minute=30, inbound_pause_seconds=60)
    engine = Engine(database, texts, settings, knowledge, CONVERSATIONS, clock=clock)
    budi = person(engine, "budi")
    for _ in range(35):
        await budi.say("menu")
    assert await budi.say("menu") == [], "paused for flooding"
    await budi.say("/sos")
    assert budi.keys == ["sos.ask_place"]
    await budi.say("dermaga Tanjung Laut")
    assert budi.keys[0] == "sos.sent"
    alerts = rows("SELECT payload FROM outbox WHERE dedupe_key LIKE 'sos:%'")
    assert alerts
    assert all("dermaga Tanjung Laut" in str(payload) for (payload,) in alerts)
    assert await budi.say("menu") == [], "the SOS is sent: the pause holds again"


async def test_lewati_after_a_flood_still_sends_the_sos(
    database: Database, texts: Texts, knowledge: Knowledge, clock: FakeClock, tmp_path: Path,
    rows: RowCounter,
) -> None:  # fmt: skip
    settings = Settings(data_dir=tmp_path, inbound_per_minute=5, inbound_pause_seconds=60)
    engine = Engine(database, texts, settings, knowledge, CONVERSATIONS, clock=clock)
    budi = person(engine, "budi")
    for _ in range(10):
        await budi.say("menu")
    await budi.say("sos")
    await budi.tap(budi.tokens[0])
    assert budi.keys[0] == "sos.sent"
    assert rows("SELECT COUNT(*) FROM outbox WHERE dedupe_key LIKE 'sos:%'") != [(0,)]
