"""`/capaian` for kader and `/ringkasan` for officers, through the engine."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from bot.base.models import Reply
from bot.base.status_rules import StatusRules
from bot.base.texts import Texts
from bot.core.engine import Engine
from bot.reports import area_summary
from bot.reports.achievement import suggestion
from bot.reports.charts import Panel, count_chart
from bot.reports.indicators import MonthIndicators, month_indicators
from bot.storage.database import Database
from tests.bot.reports.test_charts import assert_phone_sized
from tests.bot.reports.test_indicators import a_month, a_month_of_work
from tests.conftest import FakeClock, RowCounter, person

END_OF_NOVEMBER = dt.datetime(2026, 11, 30, 4, 0, tzinfo=dt.UTC)  # Monday 12:00 WITA
END_OF_DECEMBER = dt.datetime(2026, 12, 31, 4, 0, tzinfo=dt.UTC)


def picture(path: str | None) -> bytes:
    assert path is not None
    return Path(path).read_bytes()


async def test_a_kader_sees_the_month_so_far_with_a_chart_and_a_suggestion(
    engine: Engine, database: Database, clock: FakeClock
) -> None:
    await a_month_of_work(engine, database, clock)
    clock.now = END_OF_NOVEMBER
    sari = person(engine, "sari")

    await sari.say("/capaian")

    assert sari.keys == ["recap.achievement", "menu.title"]
    achievement = sari.last[0]
    assert achievement.text.splitlines() == [
        "📊 Capaian Nelayan Bontang Kuala",
        "November 2026, sampai 30 November",
        "📅 Kegiatan: 1 dari 1 terlaksana",
        "🙋 Hadir: rata-rata 1 dari 2 anggota",
        "👥 Anggota aktif: 2 dari 2",
        "🩹 Laporan luka: 1. Ditangani dalam 24 jam: 1",
        "🏥 Dirujuk: 1",
        "⭐ Status: Aktif, nilai 90 dari 100",
        "💡 Bagus! Pertahankan. Ingatkan anggota tentang pertemuan berikutnya.",
    ]
    assert_phone_sized(picture(achievement.photo))


async def test_a_new_month_asks_for_a_meeting_and_an_earlier_month_can_be_typed(
    engine: Engine, database: Database, clock: FakeClock
) -> None:
    await a_month_of_work(engine, database, clock)
    clock.now = dt.datetime(2026, 12, 2, 4, 0, tzinfo=dt.UTC)
    sari = person(engine, "sari")

    await sari.say("/capaian")
    assert "Kegiatan: 0 dari 1 terlaksana" in sari.last[0].text, "Tuesday 1 December"
    assert sari.last[0].text.endswith(
        "Saran: belum ada pertemuan yang dicatat bulan ini."
        " Sesudah bertemu, catat yang hadir lewat /kegiatan."
    )

    await sari.say("/capaian 2026-11")
    assert "November 2026\n" in sari.last[0].text, "a whole month, not 'sampai'"
    assert "Kegiatan: 1 dari 1 terlaksana" in sari.last[0].text


@pytest.mark.parametrize("typed", ["2026-13", "2027-01", "bulan lalu", "1999-05", "2026-1-1"])
async def test_a_month_that_cannot_be_shown_gets_an_example(
    engine: Engine, typed: str, rows: RowCounter
) -> None:
    sari = person(engine, "sari")
    await sari.say(f"/capaian {typed}")
    assert sari.keys == ["recap.bad_month", "menu.title"]
    assert sari.last[0].text.endswith("seperti ini: /capaian 2026-11")
    assert rows("SELECT COUNT(*) FROM audit_log WHERE action = 'export-recap'") == [(0,)]


async def test_capaian_is_for_kader_and_ringkasan_for_officers(engine: Engine) -> None:
    budi, sari, andi = person(engine, "budi"), person(engine, "sari"), person(engine, "andi")
    await budi.say("/capaian")
    assert budi.keys == ["access.denied", "menu.title"]
    await andi.say("/capaian")
    assert andi.keys == ["recap.for_kader", "menu.title"]
    await sari.say("/ringkasan")
    assert sari.keys == ["access.denied_role", "menu.title"], "not 'only for kader or officers'"


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        ({}, "Saran: belum ada anggota. Bagikan kode grup BTG7K2 kepada para pekerja."),
        (
            {"members": 5, "active_members": 5, "activities_held": 1, "injuries": 3,
             "followed_up": 1},
            "Saran: 2 laporan luka tidak ditangani dalam 24 jam."
            " Buka /laporan dan hubungi korbannya.",
        ),
        (
            {"members": 5, "active_members": 5},
            "Saran: belum ada pertemuan di bulan Oktober 2026. Buat jadwal lewat /kegiatan.",
        ),
        (
            {"members": 5, "active_members": 5, "activities_planned": 4},
            "Saran: belum ada pertemuan yang dicatat di bulan Oktober 2026."
            " Sesudah bertemu, catat yang hadir lewat /kegiatan.",
        ),
        (
            {"members": 10, "active_members": 4, "activities_held": 2},
            "Saran: baru 4 dari 10 anggota yang aktif."
            " Ajak yang lain ikut pertemuan atau bertanya di bot.",
        ),
        (
            {"members": 10, "active_members": 5, "activities_held": 2},
            "Bagus! Pertahankan. Ingatkan anggota tentang pertemuan berikutnya.",
        ),
    ],
)  # fmt: skip
def test_one_suggestion_the_most_pressing_first(
    texts: Texts, counts: dict[str, int], expected: str
) -> None:
    month = dataclasses.replace(a_month(**counts), month=dt.date(2026, 10, 1))
    assert suggestion(texts, "id", month, StatusRules()) == expected


async def test_an_officer_gets_the_summary_chart_and_workbook_of_his_scope(
    engine: Engine, database: Database, clock: FakeClock, rows: RowCounter
) -> None:
    await a_month_of_work(engine, database, clock)
    clock.now = END_OF_NOVEMBER
    andi = person(engine, "andi")

    await andi.say("/ringkasan")

    assert andi.keys == ["recap.with_workbook", "menu.title"]
    summary = andi.last[0]
    assert summary.text.splitlines() == [
        "📊 Ringkasan Pos UKK: Berau, Kota Bontang",
        "November 2026, sampai 30 November",
        "2 grup: 🟢 1 aktif, 🟡 0 kurang aktif, 🔴 1 tidak aktif",
        "✅ Tidak ada grup yang turun dibanding waktu yang sama bulan lalu.",
        "🩹 Laporan: 1 luka, 0 hampir celaka, 1 dirujuk",
        "⏱ Luka ditangani dalam 24 jam: 1 dari 1",
        "📅 Kegiatan: 1 dari 1 terlaksana",
        "📎 Excel terlampir: satu lembar per indikator.",
    ]
    assert_phone_sized(picture(summary.photo))
    assert summary.document is not None
    assert Path(summary.document).name.startswith("rekap-pos-ukk-2026-11-")
    workbook = load_workbook(summary.document)
    assert workbook.sheetnames == [
        "Ringkasan", "Kegiatan", "Insiden", "Tindak lanjut", "Siaran", "Buku catatan"
    ]  # fmt: skip
    title = str(workbook["Ringkasan"]["A1"].value)
    assert title == "Rekap Pos UKK November 2026 (sampai 30 November 2026), dibuat 30 November 2026"
    assert rows("SELECT actor, action FROM audit_log WHERE action = 'export-recap'") == [
        ("user:4", "export-recap")
    ]


async def test_a_group_that_slipped_is_named_against_the_same_days_of_last_month(
    engine: Engine, database: Database, clock: FakeClock
) -> None:
    await a_month_of_work(engine, database, clock)
    clock.now = END_OF_DECEMBER
    andi = person(engine, "andi")

    await andi.say("/ringkasan")

    lines = andi.last[0].text.splitlines()
    assert lines[1] == "Desember 2026, sampai 31 Desember"
    assert lines[2] == "2 grup: 🟢 0 aktif, 🟡 1 kurang aktif, 🔴 1 tidak aktif"
    assert lines[3:5] == [
        "⬇️ Turun dibanding waktu yang sama bulan lalu:",
        "• Nelayan Bontang Kuala: Aktif → Kurang aktif, nilai 90 → 50",
    ]

    await andi.say("/ringkasan 2026-11")
    lines = andi.last[0].text.splitlines()
    assert lines[1] == "November 2026"
    assert lines[3] == "✅ Tidak ada grup yang turun dibanding Oktober 2026."


async def test_the_first_days_of_a_month_still_show_the_month_just_ended(
    engine: Engine, database: Database, clock: FakeClock
) -> None:
    await a_month_of_work(engine, database, clock)
    clock.now = dt.datetime(2026, 12, 3, 4, 0, tzinfo=dt.UTC)
    andi = person(engine, "andi")
    await andi.say("/ringkasan")
    assert andi.last[0].text.splitlines()[1] == "November 2026"


async def summary_while_budi_is_answered(
    engine: Engine, held: Awaitable[bool], release: Callable[[], None]
) -> list[Reply]:
    """Andi's `/ringkasan`, held until `held` is done; meanwhile Budi's `/bantuan` is answered
    and the summary is not; then released."""
    andi, budi = person(engine, "andi"), person(engine, "budi")
    summary = asyncio.create_task(andi.say("/ringkasan"))
    try:
        assert await asyncio.wait_for(held, timeout=10)
        await asyncio.wait_for(budi.say("/bantuan"), timeout=5)
        assert budi.keys == ["help.intro", "help.worker", "menu.title"]
        assert not summary.done()
    finally:
        release()
    return await summary


async def test_another_person_is_answered_while_a_summary_is_read(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An officer's area is read after the turn, in a read-only transaction: while it is half
    read, Budi's message is answered (it held the write lock for seconds at 290 groups)."""
    reading, release = asyncio.Event(), asyncio.Event()

    async def slow_month(*args: Any, **kwargs: Any) -> MonthIndicators:
        reading.set()
        await release.wait()
        return await month_indicators(*args, **kwargs)

    monkeypatch.setattr(area_summary, "month_indicators", slow_month)
    replies = await summary_while_budi_is_answered(engine, reading.wait(), release.set)
    assert replies[0].key == "recap.with_workbook"
    assert "Ringkasan Pos UKK" in replies[0].text


async def test_another_person_is_answered_while_a_summary_is_drawn(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The chart and the workbook of `/ringkasan` are made after the turn's transaction: while
    the chart is still being drawn, Budi's message is answered."""
    drawing, release = threading.Event(), threading.Event()

    def slow_chart(title: str, panels: list[Panel]) -> bytes:
        drawing.set()
        release.wait(10)
        return count_chart(title, panels)

    monkeypatch.setattr(area_summary, "count_chart", slow_chart)
    held = asyncio.to_thread(drawing.wait, 10)
    replies = await summary_while_budi_is_answered(engine, held, release.set)
    assert replies[0].key == "recap.with_workbook"
    assert replies[0].photo is not None
    assert replies[0].document is not None
