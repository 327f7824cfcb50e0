"""The weekly summary to officers and the monthly recap to kader: due at their hour, once per
person and period, through the outbox."""

from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.base.models import Channel, Reply
from bot.base.settings import Settings
from bot.base.texts import Texts
from bot.storage.database import Database
from content.knowledge import Knowledge
from scheduler.delivery import OutboxDelivery
from scheduler.pacing import RateLimit
from scheduler.summaries import latest_monthly_slot, latest_weekly_slot, queue_summaries
from tests.bot.reports.test_charts import assert_phone_sized
from tests.conftest import ZONE, FakeClock, RowCounter, an_injury
from tests.fakes.senders import ScriptedSender
from tests.handlers.test_recaps import picture

WITA = dt.timezone(dt.timedelta(hours=8))
MONDAY_0805 = dt.datetime(2026, 11, 30, 8, 5, tzinfo=WITA)
FIRST_0805 = dt.datetime(2026, 12, 1, 8, 5, tzinfo=WITA)  # a Tuesday


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path)


def queued(rows: RowCounter) -> list[tuple[object, ...]]:
    return rows(
        "SELECT o.kind, u.name, o.dedupe_key FROM outbox o JOIN users u ON u.id = o.user_id"
        " WHERE o.kind IN ('summary', 'recap') ORDER BY u.name, o.dedupe_key"
    )


def english_officer(db_path: Path) -> None:
    with sqlite3.connect(db_path) as connection:
        connection.execute("UPDATE users SET language = 'en' WHERE name = 'Pak Andi'")


async def run(
    database: Database, texts: Texts, knowledge: Knowledge, settings: Settings, at: dt.datetime
) -> int:
    return await queue_summaries(database, texts, knowledge, settings, at.astimezone(dt.UTC))


async def test_each_officer_gets_one_summary_a_week_from_monday_0800(
    database: Database, texts: Texts, knowledge: Knowledge, settings: Settings, rows: RowCounter
) -> None:
    assert (
        await run(database, texts, knowledge, settings, MONDAY_0805 - dt.timedelta(minutes=10)) == 0
    )
    assert await run(database, texts, knowledge, settings, MONDAY_0805) == 1
    for later in (dt.timedelta(minutes=1), dt.timedelta(hours=15)):
        assert await run(database, texts, knowledge, settings, MONDAY_0805 + later) == 0
    assert await run(database, texts, knowledge, settings, MONDAY_0805 + dt.timedelta(days=7)) == 1
    assert queued(rows) == [
        ("summary", "Pak Andi", "summary:week:2026-W49:to:4"),
        ("summary", "Pak Andi", "summary:week:2026-W50:to:4"),
    ]


async def test_each_kader_gets_last_months_recap_on_the_first(
    database: Database, texts: Texts, knowledge: Knowledge, settings: Settings, rows: RowCounter
) -> None:
    assert await run(database, texts, knowledge, settings, FIRST_0805) == 2
    assert await run(database, texts, knowledge, settings, FIRST_0805 + dt.timedelta(hours=3)) == 0
    assert queued(rows) == [
        ("recap", "Bu Sari", "recap:month:1:2026-11:to:1"),
        ("recap", "Pak Rahmat", "recap:month:2:2026-11:to:3"),
    ]


async def test_a_bot_down_at_the_hour_sends_later_that_day_but_not_the_day_after(
    database: Database, texts: Texts, knowledge: Knowledge, settings: Settings, rows: RowCounter
) -> None:
    late = FIRST_0805 + dt.timedelta(days=1)
    assert await run(database, texts, knowledge, settings, late) == 0, "too late for both"
    assert await run(database, texts, knowledge, settings, FIRST_0805 + dt.timedelta(hours=20)) == 2
    assert queued(rows) == [
        ("recap", "Bu Sari", "recap:month:1:2026-11:to:1"),
        ("recap", "Pak Rahmat", "recap:month:2:2026-11:to:3"),
    ]


async def test_two_schedulers_racing_queue_each_summary_once(
    database: Database, texts: Texts, knowledge: Knowledge, settings: Settings, rows: RowCounter
) -> None:
    both = [run(database, texts, knowledge, settings, MONDAY_0805) for _ in range(2)]
    assert sorted(await asyncio.gather(*both)) in ([0, 1], [1, 1])
    assert len(queued(rows)) == 1


async def test_the_day_and_hour_are_settings(
    database: Database, texts: Texts, knowledge: Knowledge, tmp_path: Path, rows: RowCounter
) -> None:
    friday = Settings(data_dir=tmp_path, weekly_summary_day=4, summary_time=dt.time(16, 30))
    monday = MONDAY_0805
    assert await run(database, texts, knowledge, friday, monday) == 0
    assert (
        await run(
            database, texts, knowledge, friday, monday + dt.timedelta(days=4, hours=8, minutes=30)
        )
        == 1
    )


async def test_summaries_reach_people_with_their_chart_in_their_language(
    database: Database,
    texts: Texts,
    knowledge: Knowledge,
    settings: Settings,
    clock: FakeClock,
    rows: RowCounter,
    db_path: Path,
) -> None:
    english_officer(db_path)
    await run(database, texts, knowledge, settings, MONDAY_0805 + dt.timedelta(days=1, hours=-1))
    await run(database, texts, knowledge, settings, FIRST_0805)
    sender = ScriptedSender()
    clock.now = FIRST_0805.astimezone(dt.UTC)
    limits = {Channel.TERMINAL: RateLimit(per_second=10_000)}
    await OutboxDelivery(
        database, {Channel.TERMINAL: sender}, limits, clock=clock, default_timezone=ZONE
    ).deliver_all()

    replies: dict[str, Reply] = {reply.key: reply for _, reply in sender.replies}
    assert sorted(replies) == ["recap.monthly", "recap.weekly"]
    weekly = replies["recap.weekly"]
    assert weekly.text.startswith("🗓 Weekly summary. Full Excel: type /ringkasan\n📊 Pos UKK")
    assert "\nNovember 2026\n" in weekly.text, "on a Tuesday morning, the month just ended"
    monthly = [reply for _, reply in sender.replies if reply.key == "recap.monthly"]
    assert len(monthly) == 2
    assert monthly[0].text.startswith("🗓 Rekap bulan lalu untuk grup Anda.")
    assert "\nNovember 2026\n" in monthly[0].text, "the whole month just ended"
    for reply in (weekly, *monthly):
        assert_phone_sized(picture(reply.photo))
    assert rows("SELECT COUNT(*) FROM outbox WHERE kind IN ('summary', 'recap')"
                " AND status = 'sent'") == [(3,)]  # fmt: skip


def wita(year: int, month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=WITA)


@pytest.mark.parametrize(
    ("now", "weekly", "monthly"),
    [
        (MONDAY_0805, wita(2026, 11, 30, 8), wita(2026, 11, 1, 8)),
        (wita(2026, 11, 30, 7, 59), wita(2026, 11, 23, 8), wita(2026, 11, 1, 8)),
        (wita(2027, 1, 1, 7), wita(2026, 12, 28, 8), wita(2026, 12, 1, 8)),
    ],
)
def test_slots(now: dt.datetime, weekly: dt.datetime, monthly: dt.datetime) -> None:
    at = dt.time(8, 0)
    assert latest_weekly_slot(now.astimezone(dt.UTC), "Asia/Makassar", 0, at) == weekly
    assert latest_monthly_slot(now.astimezone(dt.UTC), "Asia/Makassar", at) == monthly


async def test_scheduled_summaries_can_be_turned_off(
    database: Database, texts: Texts, knowledge: Knowledge, tmp_path: Path
) -> None:
    off = Settings(data_dir=tmp_path, scheduled_summaries=False)
    assert await run(database, texts, knowledge, off, MONDAY_0805) == 0
    assert await run(database, texts, knowledge, off, FIRST_0805) == 0


async def test_the_monthly_recap_follows_each_groups_own_time_zone(
    database: Database,
    texts: Texts,
    knowledge: Knowledge,
    settings: Settings,
    db_path: Path,
    rows: RowCounter,
) -> None:
    """A WIB group and a WIT group each have a report at the same moment, 30 November 23:30
    WIB, which is 1 December 01:30 WIT: it is November's for one and December's for the
    other. Each recap goes at 08:00 on the 1st in the group's own time."""
    with sqlite3.connect(db_path) as connection:
        connection.execute("UPDATE pos_groups SET timezone = 'Asia/Jakarta' WHERE id = 1")
        connection.execute("UPDATE pos_groups SET timezone = 'Asia/Jayapura' WHERE id = 2")
    reported = dt.datetime(2026, 11, 30, 16, 30, tzinfo=dt.UTC)
    async with database.unit_of_work() as uow:
        for group_id, persona in ((1, "demo:budi"), (2, "demo:rahmat")):
            reporter = await uow.users.by_platform(Channel.TERMINAL, persona)
            assert reporter is not None
            await uow.incidents.create(an_injury(group_id, reporter.id), reported)
    wit_0805 = dt.datetime(2026, 12, 1, 8, 5, tzinfo=ZoneInfo("Asia/Jayapura"))
    wib_0805 = dt.datetime(2026, 12, 1, 8, 5, tzinfo=ZoneInfo("Asia/Jakarta"))
    settings = settings.model_copy(update={"weekly_summary_day": 3})
    recap_keys = "SELECT dedupe_key FROM outbox WHERE kind = 'recap' ORDER BY id"
    await run(database, texts, knowledge, settings, wit_0805)  # 23:05 UTC, still 30 November
    assert rows(recap_keys) == [("recap:month:2:2026-11:to:3",)], "Pak Rahmat's, WIT"
    await run(database, texts, knowledge, settings, wib_0805)
    recaps = rows(
        "SELECT dedupe_key, json_extract(payload, '$.text') FROM outbox WHERE kind = 'recap'"
        " ORDER BY id"
    )
    assert [key for key, _ in recaps] == [
        "recap:month:2:2026-11:to:3",  # Pak Rahmat, WIT
        "recap:month:1:2026-11:to:1",  # Bu Sari, WIB
    ]
    injuries = texts.get("id", "recap.achievement").split("{injuries}")[0].splitlines()[-1]
    wit_text, wib_text = (str(text) for _, text in recaps)
    assert f"{injuries}0" in wit_text, "the report was December's in WIT"
    assert f"{injuries}1" in wib_text, "and November's in WIB"
