"""Incident reports as files for the Puskesmas: one row per report, and the LBKP-1 monthly counts.

Which reports: those *sent* (`created_at`) from the first day 00:00 to the last day 24:00, each
group in its own time zone. Selecting by the day a report was sent, not the day of the accident,
puts every report in exactly one period however late it was sent, so consecutive exports never
miss or repeat one.

LBKP-1 (Laporan Bulanan Kesehatan Pekerja, the Kemenkes 2015 monthly form) counts, per Puskesmas
and per month of the accident (`occurred_on`), over the reports selected:

- KAK cases = the injury reports (near misses are not accidents); L and P count the reports whose
  victim's sex is known, Jumlah counts them all, so L + P <= Jumlah.
- KAK workers = the distinct injured persons among those reports. A report about oneself is the
  reporter (`reporter_id`); a report about someone else is that name, lower-cased with spaces
  tidied, within the reporting group; a report about someone unnamed is a person of its own.
  A worker's sex is the one given in their latest report that gives one; unknown sex counts only
  in Jumlah.
- Near misses ("Hampir celaka") = the near-miss reports, one count, never added to KAK.

Every Puskesmas of the groups exported gets rows for each month of the period, zeros included,
since a zero is a report too. A report sent in the period about an accident in an earlier month
is counted under that month: such a row holds only those late reports, to add to what was
already reported for the month.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.cell.cell import Cell as SheetCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from bot.domain.incident_codes import ILO_BODY_CODE, INJURY_TYPES
from bot.storage.database import UnitOfWork
from bot.storage.incidents import Incident, IncidentFilter
from bot.storage.records import Group
from content.schema import Topic

ExportFormat = Literal["csv", "xlsx"]
FORMATS: tuple[ExportFormat, ...] = ("csv", "xlsx")

Cell = str | int | dt.date | dt.datetime | None
"""A value in an exported table; dates are local and naive (Excel has no time zones)."""
Row = dict[str, Cell]

# Labels of the code lists in bot/incident_codes.py, for the clerk's files (not the chat texts).
ANONYMOUS = "anonim"
"""The reporter of an anonymous report, in an export made outside the officers' scope."""
KIND_LABELS = {"injury": "Kecelakaan kerja", "near_miss": "Hampir celaka"}
EMPLOYMENT_LABELS = {
    "self_employed": "Usaha sendiri",
    "daily_labourer": "Buruh harian",
    "family_worker": "Pekerja keluarga",
    "employee": "Karyawan",
    "other": "Lainnya",
}
ACTIVITY_LABELS = {
    "net": "Menjaring",
    "line": "Memancing / rawai",
    "dive": "Menyelam",
    "engine": "Mengurus mesin",
    "carry": "Mengangkat / memikul",
    "harvest": "Memanen",
    "spray": "Menyemprot",
    "fertilise": "Memupuk",
    "commute": "Perjalanan kerja",
    "other": "Lainnya",
}
INJURY_TYPE_LABELS = {  # the headings of the 1998 ICLS resolution, type of injury
    "superficial": "Cedera superfisial",
    "open_wound": "Luka terbuka",
    "fracture": "Patah tulang",
    "sprain": "Dislokasi, keseleo, terkilir",
    "amputation": "Amputasi traumatik",
    "internal": "Gegar otak dan cedera dalam",
    "burn": "Luka bakar, luka kimia, luka air panas",
    "poisoning": "Keracunan akut dan infeksi",
    "other": "Cedera jenis lain",
    "unspecified": "Tidak diketahui",
}
BODY_PART_LABELS = {
    "head": "Kepala",
    "eye": "Mata",
    "hand": "Tangan",
    "arm": "Lengan",
    "trunk": "Badan",
    "leg": "Kaki",
    "several": "Beberapa bagian",
}
STATUS_LABELS = {
    "open": "Baru",
    "contacted": "Sudah dihubungi",
    "treated": "Ditangani di kelompok",
    "referred": "Dirujuk",
    "closed": "Selesai",
}
OUTCOME_LABELS = {
    "on_site": "Ditangani di tempat",
    "puskesmas": "Puskesmas",
    "hospital": "Rumah sakit",
    "died": "Meninggal",
}
MONTHS = (
    "Januari", "Februari", "Maret", "April", "Mei", "Juni",
    "Juli", "Agustus", "September", "Oktober", "November", "Desember",
)  # fmt: skip

REPORT_COLUMNS = (
    "No. laporan",
    "Tanggal kejadian",
    "Jam",
    "Jenis",
    "Pos UKK",
    "Desa",
    "Kecamatan",
    "Kab/Kota",
    "Puskesmas",
    "Korban",
    "L/P",
    "Umur",
    "Pekerjaan",
    "Status pekerjaan",
    "Kegiatan saat kejadian",
    "Perjalanan kerja",
    "Apa yang terjadi",
    "Jenis cedera (kode ICLS)",
    "Penyebab (agen)",
    "Bagian tubuh",
    "Kode ILO bagian tubuh",
    "Tempat",
    "Koordinat",
    "Tanda bahaya",
    "Pertolongan pertama",
    "Berhenti kerja",
    "Status",
    "Hasil",
    "Hari tidak bisa kerja",
    "Dilaporkan",
)
LBKP_COLUMNS = ("Kab/Kota", "Puskesmas", "Bulan", "Uraian", "L", "P", "Jumlah")
KAK_CASES = "Kecelakaan kerja (KAK) - kasus"
KAK_WORKERS = "Kecelakaan kerja (KAK) - pekerja"
NEAR_MISSES = "Hampir celaka (tidak dihitung KAK)"

REPORT_SHEET = "Laporan"
LBKP_SHEET = "LBKP-1"
_MAX_WIDTH = 50


@dataclass(frozen=True)
class Report:
    """One incident with what its row needs from other tables."""

    incident: Incident
    group: Group
    reporter_name: str | None


@dataclass(frozen=True)
class Export:
    """The reports sent from `first` to `last` (inclusive) by `groups`, in reference order."""

    groups: tuple[Group, ...]
    first: dt.date
    last: dt.date
    reports: tuple[Report, ...]


async def collect_reports(
    uow: UnitOfWork,
    groups: Sequence[Group],
    first: dt.date,
    last: dt.date,
    named_in: Collection[int],
) -> Export:
    """The reports `groups` sent from `first` 00:00 to `last` 24:00 in each group's time zone;
    anonymous reporters are named only in the groups `named_in` (the officers' scope)."""
    found: list[tuple[Incident, Group]] = []
    for group in groups:
        zone = ZoneInfo(group.timezone)
        since = dt.datetime.combine(first, dt.time(), zone)
        until = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), zone)
        incidents = await uow.incidents.find(IncidentFilter([group.id], since, until))
        found.extend((incident, group) for incident in incidents)
    found.sort(key=lambda pair: pair[0].id)
    reporters = await uow.users.many(
        sorted({incident.reporter_id for incident, _ in found if incident.reporter_id})
    )
    names = {user.id: user.name for user in reporters}
    reports = tuple(
        Report(
            incident,
            group,
            ANONYMOUS
            if incident.anonymous and group.id not in named_in
            else names.get(incident.reporter_id or 0),
        )
        for incident, group in found
    )
    return Export(tuple(groups), first, last, reports)


def report_rows(export: Export, topics: Mapping[str, Topic]) -> list[Row]:
    """One row per report, keyed by REPORT_COLUMNS; `topics` gives the first-aid topic titles."""
    return [_report_row(report, topics) for report in export.reports]


def _report_row(report: Report, topics: Mapping[str, Topic]) -> Row:
    incident, group = report.incident, report.group
    topic = topics.get(incident.topic_id) if incident.topic_id else None
    title = topic.title.id if topic else incident.topic_id
    activity = ACTIVITY_LABELS.get(incident.activity, incident.activity)
    has_place = incident.latitude is not None and incident.longitude is not None
    sent = incident.created_at.astimezone(ZoneInfo(group.timezone)).replace(tzinfo=None)
    return {
        "No. laporan": incident.reference,
        "Tanggal kejadian": dt.date.fromisoformat(incident.occurred_on),
        "Jam": incident.occurred_time,
        "Jenis": KIND_LABELS.get(incident.kind, incident.kind),
        "Pos UKK": group.name,
        "Desa": group.village,
        "Kecamatan": group.district,
        "Kab/Kota": group.regency,
        "Puskesmas": group.puskesmas_name,
        "Korban": _victim(report),
        "L/P": incident.victim_sex,
        "Umur": incident.victim_age,
        "Pekerjaan": incident.occupation,
        "Status pekerjaan": _label(EMPLOYMENT_LABELS, incident.employment),
        "Kegiatan saat kejadian": _joined(activity, incident.activity_text),
        "Perjalanan kerja": _yes_no(incident.commuting),
        "Apa yang terjadi": _joined(title, incident.what_text),
        "Jenis cedera (kode ICLS)": _injury_type(incident.injury_type),
        "Penyebab (agen)": incident.material_agent,
        "Bagian tubuh": _label(BODY_PART_LABELS, incident.body_part),
        "Kode ILO bagian tubuh": ILO_BODY_CODE.get(incident.body_part or ""),
        "Tempat": incident.place_text or None,
        "Koordinat": f"{incident.latitude:.5f}, {incident.longitude:.5f}" if has_place else None,
        "Tanda bahaya": _yes_no(incident.danger_signs),
        "Pertolongan pertama": incident.first_aid_given or None,
        "Berhenti kerja": None if incident.stopped_work is None else _yes_no(incident.stopped_work),
        "Status": _label(STATUS_LABELS, incident.status),
        "Hasil": _label(OUTCOME_LABELS, incident.outcome),
        "Hari tidak bisa kerja": incident.days_lost,
        "Dilaporkan": sent,
    }


def _victim(report: Report) -> str:
    """The injured person's name: the reporter's own name when they reported about themselves."""
    incident = report.incident
    if incident.victim == "self":
        return incident.victim_name or report.reporter_name or "-"
    if incident.victim == "other":
        return incident.victim_name or "-"
    return "-"


def _label(labels: Mapping[str, str], code: str | None) -> str | None:
    """The code's label; an unlabelled code as it is rather than lost."""
    return None if code is None else labels.get(code, code)


def _joined(*parts: str | None) -> str | None:
    return ": ".join(part for part in parts if part) or None


def _yes_no(value: bool) -> str:
    return "Ya" if value else "Tidak"


def _injury_type(code: str | None) -> str | None:
    """'1.02 Luka terbuka': the code for the statistics, the words for the reader."""
    if code is None:
        return None
    label = INJURY_TYPE_LABELS.get(INJURY_TYPES.get(code, ""))
    return f"{code} {label}" if label else code


def lbkp_rows(export: Export) -> list[Row]:
    """The LBKP-1 counts, keyed by LBKP_COLUMNS: three rows per Puskesmas and month."""
    period = _months(export.first, export.last)
    places = sorted({(group.regency, group.puskesmas_name) for group in export.groups})
    rows: list[Row] = []
    for regency, puskesmas in places:
        by_month: dict[dt.date, list[Incident]] = {month: [] for month in period}
        for report in export.reports:
            if (report.group.regency, report.group.puskesmas_name) == (regency, puskesmas):
                month = dt.date.fromisoformat(report.incident.occurred_on).replace(day=1)
                by_month.setdefault(month, []).append(report.incident)
        for month, incidents in sorted(by_month.items()):
            where: Row = {
                "Kab/Kota": regency,
                "Puskesmas": puskesmas,
                "Bulan": month_name(month),
            }
            injuries = [incident for incident in incidents if incident.kind == "injury"]
            workers: dict[str, str | None] = {}
            for incident in injuries:
                key = _worker(incident)
                workers[key] = incident.victim_sex or workers.get(key)
            near_misses = sum(incident.kind == "near_miss" for incident in incidents)
            rows += [
                {**where, "Uraian": KAK_CASES, **_by_sex([i.victim_sex for i in injuries])},
                {**where, "Uraian": KAK_WORKERS, **_by_sex(list(workers.values()))},
                {**where, "Uraian": NEAR_MISSES, "L": None, "P": None, "Jumlah": near_misses},
            ]
    return rows


def _months(first: dt.date, last: dt.date) -> list[dt.date]:
    """The first day of every month from `first` to `last`."""
    months = []
    month = first.replace(day=1)
    while month <= last:
        months.append(month)
        month = (month + dt.timedelta(days=31)).replace(day=1)
    return months


def _worker(incident: Incident) -> str:
    """Who was injured, as a key that is the same for every report about the same person."""
    if incident.victim == "self" and incident.reporter_id is not None:
        return f"user:{incident.reporter_id}"
    if incident.victim == "other" and incident.victim_name and incident.victim_name.strip():
        name = " ".join(incident.victim_name.split()).lower()
        return f"name:{incident.group_id}:{name}"
    return f"report:{incident.id}"


def _by_sex(sexes: list[str | None]) -> Row:
    return {"L": sexes.count("L"), "P": sexes.count("P"), "Jumlah": len(sexes)}


def month_name(month: dt.date) -> str:
    """A month as people say it: "Juli 2024"."""
    return f"{MONTHS[month.month - 1]} {month.year}"


def file_name(first: dt.date, last: dt.date, fmt: ExportFormat) -> str:
    return f"laporan-insiden-{first.isoformat()}-{last.isoformat()}.{fmt}"


def export_bytes(export: Export, topics: Mapping[str, Topic], fmt: ExportFormat) -> bytes:
    """The file's content: CSV holds the reports only, XLSX also the LBKP-1 sheet."""
    if fmt == "csv":
        return csv_bytes(report_rows(export, topics), REPORT_COLUMNS)
    return xlsx_bytes(
        [
            (REPORT_SHEET, REPORT_COLUMNS, report_rows(export, topics)),
            (LBKP_SHEET, LBKP_COLUMNS, lbkp_rows(export)),
        ]
    )


# Comma-separated, every text cell quoted where needed (RFC 4180): the format every tool reads
# without asking (LibreOffice, Google Sheets, Dinkes systems, pandas). Excel set to Indonesian
# expects ";" when a file is double-clicked, so the clerk opens the XLSX file in Excel instead.
# The byte-order mark makes Excel read the text as UTF-8 rather than the Windows code page.
def csv_bytes(rows: Sequence[Row], columns: Sequence[str]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    writer.writerows([_csv_cell(row[column]) for column in columns] for row in rows)
    return out.getvalue().encode("utf-8-sig")


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(value: Cell) -> str:
    """Text that a spreadsheet would run as a formula gets a leading quote, since reports hold
    the words people typed (OWASP's advice against CSV injection)."""
    text = _text(value)
    return f"'{text}" if len(text) > 1 and text.startswith(_FORMULA_START) else text


def _text(value: Cell) -> str:
    """A cell as plain text: dates in ISO order, which no locale misreads."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def xlsx_bytes(sheets: Sequence[tuple[str, Sequence[str], Sequence[Row]]]) -> bytes:
    """A workbook with one sheet per (title, columns, rows): bold frozen header, filters."""
    workbook = Workbook()
    workbook.remove(workbook.worksheets[0])  # the empty sheet every new workbook has
    for title, columns, rows in sheets:
        _fill(workbook.create_sheet(title), columns, rows)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _fill(sheet: Worksheet, columns: Sequence[str], rows: Sequence[Row]) -> None:
    bold = Font(bold=True)
    for number, column in enumerate(columns, start=1):
        sheet.cell(1, number, column).font = bold
        values = [row[column] for row in rows]
        for line, value in enumerate(values, start=2):
            cell = write_cell(sheet, line, number, value)
            if isinstance(value, dt.datetime):
                cell.number_format = "dd/mm/yyyy hh:mm"
            elif isinstance(value, dt.date):
                cell.number_format = "dd/mm/yyyy"
        width = max([len(column), *(len(_text(value)) for value in values)]) + 2
        sheet.column_dimensions[get_column_letter(number)].width = min(width, _MAX_WIDTH)
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions


def write_cell(sheet: Worksheet, row: int, column: int, value: Cell | float) -> SheetCell:
    """One value into a sheet: control characters (not allowed in XLSX; people's words may carry
    some) dropped, and text stored as text, never run as a formula whatever it starts with."""
    if not isinstance(value, str):
        return sheet.cell(row, column, value)
    cell = sheet.cell(row, column, ILLEGAL_CHARACTERS_RE.sub("", value))
    cell.data_type = "s"
    return cell
