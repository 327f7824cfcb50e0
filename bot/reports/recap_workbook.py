"""The monthly recap of Pos UKK groups as an Excel workbook for the Puskesmas and the kader.

One sheet per family of indicators (docs/indicators.md), one row per group and a totals row.
A share in the totals row is the summed part over the summed whole, never a sum of shares.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from bot.base.status_rules import StatusRules
from bot.reports.exports import month_name, write_cell
from bot.reports.group_status import score, status
from bot.reports.indicators import FOLLOW_UP_HOURS, MonthIndicators

Value = str | int | float | None
"""A cell: text, a count, or a share from 0 to 1 (shown as a percentage)."""

NOT_RECORDED = "tidak tercatat di bot"
"""An item of the paper record book that the bot does not see; the kader adds it by hand."""
TOTAL = "Jumlah"
TITLE_ROW, HEADER_ROW = 1, 3
PERCENT = "0%"
_MAX_WIDTH = 50


@dataclass(frozen=True)
class Field:
    """A value per group, left empty in the totals row."""

    header: str
    value: Callable[[MonthIndicators], Value]


@dataclass(frozen=True)
class Count:
    """A number per group, added up in the totals row."""

    header: str
    value: Callable[[MonthIndicators], int]


@dataclass(frozen=True)
class Share:
    """`part` over `whole` per group, empty where `whole` is zero."""

    header: str
    part: Callable[[MonthIndicators], int]
    whole: Callable[[MonthIndicators], int]


Column = Field | Count | Share


def _sheets(rules: StatusRules) -> dict[str, tuple[Column, ...]]:
    """The sheets' columns after the group's name, each sheet named as the kader say it."""
    return {
        "Ringkasan": (
            Field("Kecamatan", lambda m: m.group.district),
            Field("Kab/Kota", lambda m: m.group.regency),
            Field("Sektor", lambda m: m.group.sector.value),
            Field("Status", lambda m: status(m, rules).value.replace("_", " ")),
            Field("Skor", lambda m: score(m, rules)),
            Count("Anggota", lambda m: m.members),
            Count("Anggota aktif", lambda m: m.active_members),
            Share("% aktif", lambda m: m.active_members, lambda m: m.members),
        ),
        "Kegiatan": (
            Count("Direncanakan", lambda m: m.activities_planned),
            Count("Dilaksanakan", lambda m: m.activities_held),
            Count("Kehadiran", lambda m: m.attendances),
            Share("% kehadiran", lambda m: m.attendances, lambda m: m.activities_held * m.members),
        ),
        "Insiden": (
            Count("Kecelakaan", lambda m: m.injuries),
            Count("Hampir celaka", lambda m: m.near_misses),
            Count(f"Ditindaklanjuti ≤{FOLLOW_UP_HOURS} jam", lambda m: m.followed_up),
            Share("% ditindaklanjuti", lambda m: m.followed_up, lambda m: m.injuries),
            Count("Dirujuk", lambda m: m.referrals),
        ),
        "Tindak lanjut": (
            Count("Ditanyakan", lambda m: m.followups_asked),
            Count("Dijawab", lambda m: m.followups_answered),
        ),
        "Siaran": (
            Count("Terkirim", lambda m: m.broadcast_messages),
            Count("Dapat dilacak (WhatsApp)", lambda m: m.broadcasts_trackable),
            Count("Dibaca", lambda m: m.broadcasts_read),
            Share("% dibaca", lambda m: m.broadcasts_read, lambda m: m.broadcasts_trackable),
        ),
        "Buku catatan": (
            Count("Pekerja dilayani (anggota aktif)", lambda m: m.active_members),
            Count("Kecelakaan kerja", lambda m: m.injuries),
            Count("Jumlah kader", lambda m: m.kader),
            *(
                Field(item, lambda _: NOT_RECORDED)
                for item in (
                    "Penyakit umum",
                    "Dugaan PAK",
                    "Penimbangan",
                    "Kader terlatih",
                    "Topik penyuluhan",
                )
            ),
        ),
    }


def recap_workbook(
    months: Sequence[MonthIndicators], rules: StatusRules, made_on: dt.date | None = None
) -> bytes:
    """The workbook of one month's indicators (one per group), made on `made_on` (today)."""
    month = {indicators.month for indicators in months}
    if len(month) != 1:
        raise ValueError(f"a recap is of one month and at least one group, not {sorted(month)}")
    made = _day_name(made_on or dt.date.today())
    title = f"Rekap Pos UKK {month_name(month.pop())}"
    until = next((indicators.until for indicators in months if indicators.until), None)
    if until is not None:
        title += f" (sampai {_day_name((until - dt.timedelta(microseconds=1)).date())})"
    title += f", dibuat {made}"
    workbook = Workbook()
    workbook.remove(workbook.worksheets[0])  # the empty sheet every new workbook has
    for name, columns in _sheets(rules).items():
        _fill(workbook.create_sheet(name), title, columns, months)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _day_name(day: dt.date) -> str:
    return f"{day.day} {month_name(day)}"


def _fill(
    sheet: Worksheet, title: str, columns: Sequence[Column], months: Sequence[MonthIndicators]
) -> None:
    """Title, bold header, a row per group and a bold totals row; the group column stays put."""
    bold = Font(bold=True)
    sheet.cell(TITLE_ROW, 1, title).font = Font(bold=True, size=13)
    names: list[Value] = [indicators.group.name for indicators in months]
    table: list[tuple[str, list[Value], bool]] = [("Pos UKK", [*names, TOTAL], False)]
    for column in columns:
        values = [*(_value(column, month) for month in months), _total(column, months)]
        table.append((column.header, values, isinstance(column, Share)))
    last_row = HEADER_ROW + len(months) + 1
    for number, (header, values, share) in enumerate(table, start=1):
        sheet.cell(HEADER_ROW, number, header).font = bold
        for line, value in enumerate(values, start=HEADER_ROW + 1):
            cell = write_cell(sheet, line, number, value)
            if share:
                cell.number_format = PERCENT
            if line == last_row:
                cell.font = bold
        width = max(len(header), *(len(_shown(value)) for value in values)) + 2
        sheet.column_dimensions[get_column_letter(number)].width = min(width, _MAX_WIDTH)
    sheet.freeze_panes = sheet.cell(HEADER_ROW + 1, 2).coordinate
    sheet.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(len(table))}{last_row - 1}"


def _value(column: Column, month: MonthIndicators) -> Value:
    if isinstance(column, Share):
        return _ratio(column.part(month), column.whole(month))
    return column.value(month)


def _total(column: Column, months: Sequence[MonthIndicators]) -> Value:
    if isinstance(column, Share):
        return _ratio(sum(map(column.part, months)), sum(map(column.whole, months)))
    if isinstance(column, Count):
        return sum(map(column.value, months))
    return None


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _shown(value: Value) -> str:
    """The value as a spreadsheet shows it, to size the column."""
    if value is None:
        return ""
    return f"{value:.0%}" if isinstance(value, float) else str(value)
