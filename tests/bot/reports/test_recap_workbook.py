"""The monthly recap workbook and `posukk report monthly`, on a seeded database read back with
openpyxl."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from bot.app.cli import main
from bot.app.demo import FISHERMEN, seed_demo
from bot.base.status_rules import StatusRules
from bot.core.engine import Engine
from bot.reports.indicators import MonthIndicators, month_indicators
from bot.reports.recap_workbook import HEADER_ROW, NOT_RECORDED, TOTAL, recap_workbook
from bot.storage.database import Database
from bot.storage.records import NewGroup
from tests.bot.reports.test_indicators import a_month_of_work
from tests.conftest import MEETING, FakeClock, RowCounter

NOVEMBER, OCTOBER = dt.date(2026, 11, 1), dt.date(2026, 10, 1)
MADE_ON = dt.date(2026, 12, 5)
SHEETS = ["Ringkasan", "Kegiatan", "Insiden", "Tindak lanjut", "Siaran", "Buku catatan"]
FISHERMEN_NAME = FISHERMEN.name
Table = dict[str, dict[str, object]]


async def every_group(database: Database, month: dt.date) -> list[MonthIndicators]:
    async with database.unit_of_work() as uow:
        return [await month_indicators(uow, group, month) for group in await uow.groups.all()]


def table(sheet: Worksheet) -> Table:
    """The sheet's rows by their first cell (group name or TOTAL), each by column header."""
    header = [str(cell.value) for cell in sheet[HEADER_ROW]]
    found: Table = {}
    for row in sheet.iter_rows(min_row=HEADER_ROW + 1, values_only=True):
        found[str(row[0])] = dict(zip(header[1:], row[1:], strict=True))
    return found


def number(value: object) -> float:
    assert isinstance(value, int | float), value
    return value


def opened(content: bytes) -> dict[str, Table]:
    workbook = load_workbook(io.BytesIO(content))
    return {sheet.title: table(sheet) for sheet in workbook.worksheets}


async def test_the_fishermen_row_holds_the_month_and_the_totals_add_up(
    engine: Engine, database: Database, clock: FakeClock
) -> None:
    await a_month_of_work(engine, database, clock)
    months = await every_group(database, NOVEMBER)

    content = recap_workbook(months, StatusRules(), made_on=MADE_ON)

    workbook = load_workbook(io.BytesIO(content))
    assert workbook.sheetnames == SHEETS
    for sheet in workbook.worksheets:
        assert sheet["A1"].value == "Rekap Pos UKK November 2026, dibuat 5 Desember 2026"
        assert sheet.cell(HEADER_ROW, 1).value == "Pos UKK"
        assert sheet.cell(HEADER_ROW, 1).font.bold
        assert sheet.column_dimensions["A"].width >= len(FISHERMEN_NAME)
    sheets = opened(content)
    fishermen = {name: rows[FISHERMEN_NAME] for name, rows in sheets.items()}
    assert fishermen["Ringkasan"] == {
        "Kecamatan": "Bontang Utara",
        "Kab/Kota": "Kota Bontang",
        "Sektor": "nelayan",
        "Status": "aktif",
        "Skor": 90,
        "Anggota": 2,
        "Anggota aktif": 2,
        "% aktif": 1,
    }
    assert fishermen["Kegiatan"] == {
        "Direncanakan": 1,
        "Dilaksanakan": 1,
        "Kehadiran": 1,
        "% kehadiran": 0.5,
    }
    assert fishermen["Insiden"] == {
        "Kecelakaan": 1,
        "Hampir celaka": 0,
        "Ditindaklanjuti ≤24 jam": 1,
        "% ditindaklanjuti": 1,
        "Dirujuk": 1,
    }
    assert fishermen["Tindak lanjut"] == {"Ditanyakan": 0, "Dijawab": 0}
    assert fishermen["Siaran"]["% dibaca"] is None, "nothing sent on WhatsApp"
    assert fishermen["Buku catatan"] == {
        "Pekerja dilayani (anggota aktif)": 2,
        "Kecelakaan kerja": 1,
        "Jumlah kader": 1,
        "Penyakit umum": NOT_RECORDED,
        "Dugaan PAK": NOT_RECORDED,
        "Penimbangan": NOT_RECORDED,
        "Kader terlatih": NOT_RECORDED,
        "Topik penyuluhan": NOT_RECORDED,
    }
    ringkasan = workbook["Ringkasan"]
    assert ringkasan.cell(HEADER_ROW + 1, 9).number_format == "0%"
    for name, rows in sheets.items():
        total, groups = rows[TOTAL], [row for key, row in rows.items() if key != TOTAL]
        assert len(groups) == len(months)
        for header, value in total.items():
            if value is not None and not header.startswith("%"):
                assert value == sum(number(row[header]) for row in groups), (name, header)
    summary, activities = sheets["Ringkasan"], sheets["Kegiatan"]
    assert (summary[TOTAL]["Status"], summary[TOTAL]["Skor"]) == (None, None)
    assert summary[TOTAL]["% aktif"] == number(summary[TOTAL]["Anggota aktif"]) / number(
        summary[TOTAL]["Anggota"]
    )
    seats = sum(number(activities[m.group.name]["Dilaksanakan"]) * m.members for m in months)
    assert activities[TOTAL]["% kehadiran"] == number(activities[TOTAL]["Kehadiran"]) / seats


async def test_an_empty_month_and_a_group_without_members(database: Database) -> None:
    async with database.unit_of_work() as uow:
        await uow.groups.create(
            NewGroup(**{**FISHERMEN.__dict__, "name": "Kosong"}),
            dt.datetime(2026, 9, 1, tzinfo=dt.UTC),
        )
    months = await every_group(database, OCTOBER)

    sheets = opened(recap_workbook(months, StatusRules(), made_on=MADE_ON))

    for rows in sheets.values():
        assert list(rows) == [*(month.group.name for month in months), TOTAL]
    empty = sheets["Ringkasan"]["Kosong"]
    assert (empty["Anggota"], empty["% aktif"], empty["Status"]) == (0, None, "tidak aktif")
    for name in ("Kegiatan", "Insiden", "Siaran"):
        shares = [value for header, value in sheets[name][TOTAL].items() if header.startswith("%")]
        assert shares == [None], name
    assert sheets["Insiden"][TOTAL]["Kecelakaan"] == 0
    assert sheets["Buku catatan"]["Kosong"]["Jumlah kader"] == 0


def test_a_recap_is_of_one_month() -> None:
    with pytest.raises(ValueError, match="one month"):
        recap_workbook([], StatusRules())


async def seeded(path: Path | str) -> None:
    database = await Database.open(path)
    try:
        await seed_demo(database, MEETING)
    finally:
        await database.close()


def test_report_monthly_writes_the_workbook_and_audits(
    database_target: Path | str,
    tmp_path: Path,
    rows: RowCounter,
    capsys: pytest.CaptureFixture[str],
) -> None:
    asyncio.run(seeded(database_target))
    out = tmp_path / "rekap.xlsx"
    args = [
        "report",
        "monthly",
        "--month",
        "2026-11",
        "--db",
        str(database_target),
        "--out",
        str(out),
    ]

    assert main(args) == 0
    assert capsys.readouterr().out == f"wrote {out} (2 groups)\n"
    sheets = opened(out.read_bytes())
    assert list(sheets) == SHEETS
    assert sheets["Ringkasan"][FISHERMEN_NAME]["Anggota"] == 2

    assert main([*args, "--regency", " kota BONTANG"]) == 0
    assert list(opened(out.read_bytes())["Insiden"]) == [FISHERMEN_NAME, TOTAL]
    audit = rows("SELECT actor, subject, detail FROM audit_log WHERE action = 'export-recap'")
    assert [(actor, json.loads(str(detail))["groups"]) for actor, _, detail in audit] == [
        ("admin-cli", 2),
        ("admin-cli", 1),
    ]
    assert json.loads(str(audit[0][2]))["month"] == "2026-11"
    assert str(audit[1][1]).startswith("groups:")


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--month", "2026-13"], "--month '2026-13' is not a month written YYYY-MM"),
        (["--month", "November"], "--month 'November' is not a month written YYYY-MM"),
        (["--month", "2026-11", "--regency", "Mars"], "no group is in regency 'Mars'"),
    ],
)
def test_report_monthly_errors_are_clear(
    database_target: Path | str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    message: str,
) -> None:
    asyncio.run(seeded(database_target))
    out = tmp_path / "rekap.xlsx"

    assert main(["report", "monthly", "--db", str(database_target), "--out", str(out), *extra]) == 2
    assert capsys.readouterr().err.startswith(f"error: {message}")
    assert not out.exists()
