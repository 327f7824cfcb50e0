"""The demo's six months: a programme worth looking at, made through the bot, and a clean start."""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app.demo import seed_demo
from bot.app.demo_history import HISTORY, REPORTS, seed_history
from bot.base.settings import Settings
from bot.base.texts import Texts
from bot.core.engine import Engine
from bot.storage.database import Database
from content.knowledge import Knowledge
from handlers import CONVERSATIONS
from scheduler.reminders import materialise_reminders
from tests.conftest import SCRIPTED_PACE, FakeClock, Person, RowCounter, person

NOW = dt.datetime(2026, 12, 7, 20, 0, tzinfo=dt.UTC)


@pytest.fixture
async def history(
    tmp_path: Path, texts: Texts, knowledge: Knowledge
) -> AsyncIterator[tuple[Engine, FakeClock]]:
    settings = Settings(data_dir=tmp_path, inbound_per_minute=SCRIPTED_PACE)
    database = await Database.open(tmp_path / "demo.sqlite3")
    assert await seed_demo(database, NOW - HISTORY)
    await seed_history(database, texts, settings, knowledge, NOW)
    clock = FakeClock(NOW + dt.timedelta(minutes=5))
    yield Engine(database, texts, settings, knowledge, CONVERSATIONS, clock=clock), clock
    await database.close()


def count(pattern: str, text: str) -> int:
    found = re.search(pattern, text)
    assert found is not None, f"{pattern!r} not in {text!r}"
    return int(found.group(1))


async def test_the_officer_sees_an_active_programme(
    history: tuple[Engine, FakeClock], tmp_path: Path
) -> None:
    engine, _ = history
    andi = person(engine, "andi")
    await andi.say("/ringkasan")
    summary = andi.last[0].text
    assert count(r"🟢 (\d+) aktif", summary) >= 1
    assert count(r"Laporan: (\d+) luka", summary) >= 1
    assert count(r"Kegiatan: (\d+) dari", summary) >= 1
    sari = person(engine, "sari")
    await sari.say("/capaian")
    assert count(r"Anggota aktif: (\d+) dari", sari.last[0].text) >= 7
    await sari.say("/laporan")
    assert sari.keys[0] == "reports.list"
    assert count(r"Laporan \(belum selesai\): (\d+)", sari.last[0].text) >= 1


async def test_six_months_went_through_the_bot(
    history: tuple[Engine, FakeClock], tmp_path: Path
) -> None:
    rows = RowCounter(tmp_path / "demo.sqlite3")
    assert rows("SELECT COUNT(*) FROM incidents") == [(len(REPORTS),)]
    assert rows(
        "SELECT MIN(created_at) < ? FROM incidents", (NOW - dt.timedelta(days=150)).isoformat()
    ) == [(1,)]
    events = "SELECT COUNT(*) >= ? FROM incident_events WHERE action = ?"
    for action, least in (("contacted", 10), ("referred", 2), ("closed", 2), ("followup_1", 8)):
        assert rows(events, least, action) == [(1,)], action
    assert rows(events, 3, "days_lost") == [(1,)]
    assert rows("SELECT COUNT(*) >= 20 FROM users") == [(1,)]
    assert rows("SELECT COUNT(*) >= 20 FROM activity_records WHERE held") == [(1,)]
    assert rows("SELECT COUNT(*) >= 1 FROM activity_records WHERE NOT held") == [(1,)]
    assert rows("SELECT COUNT(*) >= 100 FROM attendance") == [(1,)]
    broadcast = "SELECT COUNT(*) >= 10 FROM outbox WHERE broadcast_id IS NOT NULL AND status = ?"
    assert rows(broadcast, "sent") == [(1,)], "the broadcast reached the group"
    followups = "SELECT COUNT(*) >= 10 FROM outbox WHERE kind = 'followup' AND status = 'sent'"
    assert rows(followups) == [(1,)]


async def test_the_personas_and_a_newcomer_start_clean(
    history: tuple[Engine, FakeClock], tmp_path: Path
) -> None:
    engine, _ = history
    rows = RowCounter(tmp_path / "demo.sqlite3")
    assert rows("SELECT COUNT(*) FROM outbox WHERE status = 'pending'") == [(0,)]
    personas = "SELECT id FROM users WHERE platform_id LIKE 'demo:%'"
    assert rows("SELECT COUNT(*) FROM sessions WHERE platform_id LIKE 'demo:%'") == [(0,)]
    assert rows(
        f"SELECT COUNT(*) FROM standing_offers WHERE expires_at > ? AND user_id IN ({personas})",
        NOW.isoformat(),
    ) == [(0,)]
    budi, sari = person(engine, "budi"), person(engine, "sari")
    await budi.say("1")
    await sari.say("2")
    assert "followup" not in " ".join(budi.keys), "no old follow-up answered"
    assert "incident" not in " ".join(sari.keys), "no old alert answered"
    newcomer = Person(engine, "demo:saya")
    await newcomer.say("halo")
    assert newcomer.keys == ["registration.welcome"]


async def test_a_demo_built_just_after_a_meeting_drops_no_reminder(
    tmp_path: Path, texts: Texts, knowledge: Knowledge, caplog: pytest.LogCaptureFixture
) -> None:
    """Built at 09:00 WITA on a Tuesday, an hour after the fishermen met: that meeting's
    reminders went out in the history, so the chat's first tick has nothing to drop."""
    after_meeting = dt.datetime(2026, 12, 8, 1, 0, tzinfo=dt.UTC)
    settings = Settings(data_dir=tmp_path, inbound_per_minute=SCRIPTED_PACE)
    database = await Database.open(tmp_path / "demo.sqlite3")
    try:
        assert await seed_demo(database, after_meeting - HISTORY)
        await seed_history(database, texts, settings, knowledge, after_meeting)
        with caplog.at_level(logging.WARNING, logger="scheduler.reminders"):
            await materialise_reminders(database, texts, after_meeting + dt.timedelta(minutes=1))
        assert not [r for r in caplog.records if "reminder dropped" in r.getMessage()]
    finally:
        await database.close()
    sent = RowCounter(tmp_path / "demo.sqlite3")(
        "SELECT COUNT(*) FROM outbox WHERE kind = 'reminder' AND status = 'sent'"
        " AND dedupe_key LIKE ?",
        f"reminder:%:{after_meeting - dt.timedelta(hours=1):%Y-%m-%dT%H}%",
    )
    assert sent != [(0,)], "the meeting's reminders were sent in the history"
