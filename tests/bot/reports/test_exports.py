"""`posukk export incidents`: the clerk's CSV and XLSX files, and the LBKP-1 monthly counts."""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import replace
from pathlib import Path

import openpyxl
import pytest

from bot.app.cli import main
from bot.app.demo import FISHERMEN_CODE, PLANTATION_CODE, persona_id
from bot.base.models import Channel
from bot.domain.incident_codes import (
    ACTIVITIES,
    BODY_PARTS,
    COMMUTE,
    EMPLOYMENT,
    INJURY_TYPES,
    OTHER,
    OUTCOMES,
    STATUSES,
)
from bot.reports.exports import (
    ACTIVITY_LABELS,
    BODY_PART_LABELS,
    EMPLOYMENT_LABELS,
    INJURY_TYPE_LABELS,
    KIND_LABELS,
    LBKP_COLUMNS,
    OUTCOME_LABELS,
    REPORT_COLUMNS,
    STATUS_LABELS,
)
from bot.storage.database import Database
from bot.storage.incidents import NewIncident

UTC = dt.UTC
HOSTILE = '=HYPERLINK("http://contoh.test","klik")'

BASE = NewIncident(
    group_id=None,
    reporter_id=0,
    kind="injury",
    victim="self",
    victim_name=None,
    victim_sex="L",
    victim_age=34,
    employment="self_employed",
    occupation="nelayan",
    topic_id="cut",
    injury_type="1.02",
    material_agent="alat tajam",
    what_text="",
    body_part="hand",
    occurred_on="2026-11-05",
    occurred_time=None,
    place_text="",
    latitude=None,
    longitude=None,
    activity="carry",
    activity_text="",
    commuting=False,
    danger_signs=False,
    first_aid_given="",
    stopped_work=None,
    photo_ref=None,
    severe=False,
    anonymous=False,
)


@pytest.fixture
async def filled(database: Database, database_target: Path | str) -> Path | str:
    """Reports of both demo groups; the comment on each says why it is there.

    Both groups are in Asia/Makassar (UTC+8): "sent" times below are UTC."""
    async with database.unit_of_work() as uow:
        fishers = await uow.groups.by_code(FISHERMEN_CODE)
        planters = await uow.groups.by_code(PLANTATION_CODE)
        assert fishers is not None
        assert planters is not None
        ids = {}
        for name in ("sari", "budi", "rahmat"):
            user = await uow.users.by_platform(Channel.TERMINAL, persona_id(name))
            assert user is not None
            ids[name] = user.id
        fisher = replace(BASE, group_id=fishers.id)
        planter = replace(BASE, group_id=planters.id, occupation="pekerja sawit")
        sent: list[tuple[NewIncident, dt.datetime]] = [
            # 1: every column filled; Budi about himself
            (replace(fisher, reporter_id=ids["budi"], topic_id="fish-hook",
                     material_agent="kail", what_text="kail nyangkut di jari waktu tarik pancing",
                     occurred_time="06:30", place_text="Perahu", latitude=0.133211,
                     longitude=117.494119, activity="line", first_aid_given="dicuci air bersih",
                     stopped_work=True),
             dt.datetime(2026, 11, 5, 0, 0, tzinfo=UTC)),
            # 2: Budi again: a second case, the same worker
            (replace(fisher, reporter_id=ids["budi"], occurred_on="2026-11-20"),
             dt.datetime(2026, 11, 20, 3, 0, tzinfo=UTC)),
            # 3: Bu Sari about Wati (P)
            (replace(fisher, reporter_id=ids["sari"], victim="other", victim_name="Wati",
                     victim_sex="P", victim_age=41, employment="family_worker",
                     occupation="pengolah ikan", topic_id="jellyfish", injury_type="7",
                     material_agent="ubur-ubur", body_part="arm", occurred_on="2026-11-21",
                     activity="other", activity_text="menjemur ikan", danger_signs=True),
             dt.datetime(2026, 11, 21, 2, 0, tzinfo=UTC)),
            # 4: Wati again, name in other letters, sex not given: still one P worker
            (replace(fisher, reporter_id=ids["sari"], victim="other", victim_name=" WATI ",
                     victim_sex=None, occurred_on="2026-11-22"),
             dt.datetime(2026, 11, 22, 2, 0, tzinfo=UTC)),
            # 5: a near miss on the way to work, in words a spreadsheet would run
            (replace(fisher, reporter_id=ids["budi"], kind="near_miss", victim="none",
                     victim_sex=None, victim_age=None, employment=None, topic_id=None,
                     injury_type=None, material_agent=None, body_part=None, what_text=HOSTILE,
                     occurred_on="2026-11-22", activity="commute", commuting=True),
             dt.datetime(2026, 11, 22, 5, 0, tzinfo=UTC)),
            # 6: sent 30 Nov 23:59 local, sex and age unknown: counted in Jumlah only
            (replace(fisher, reporter_id=ids["sari"], victim="other", victim_name="Pak Udin",
                     victim_sex=None, victim_age=None, employment=None, topic_id="burn",
                     injury_type="6", material_agent="api / mesin panas", body_part=None,
                     occurred_on="2026-11-30"),
             dt.datetime(2026, 11, 30, 15, 59, tzinfo=UTC)),
            # 7: sent 1 Dec 00:10 local (still 30 Nov in UTC): after the period
            (replace(fisher, reporter_id=ids["budi"], occurred_on="2026-11-30"),
             dt.datetime(2026, 11, 30, 16, 10, tzinfo=UTC)),
            # 8: sent 1 Nov 00:30 local about 30 Oct: in the period, in October's LBKP row
            (replace(planter, reporter_id=ids["rahmat"], topic_id="palm-thorn",
                     occurred_on="2026-10-30", activity="harvest"),
             dt.datetime(2026, 10, 31, 16, 30, tzinfo=UTC)),
            # 9: sent 31 Oct 23:30 local: before the period
            (replace(planter, reporter_id=ids["rahmat"], occurred_on="2026-10-31"),
             dt.datetime(2026, 10, 31, 15, 30, tzinfo=UTC)),
            # 10: Pak Rahmat about Joko (L)
            (replace(planter, reporter_id=ids["rahmat"], victim="other", victim_name="Joko",
                     occurred_on="2026-11-10", activity="harvest"),
             dt.datetime(2026, 11, 10, 1, 0, tzinfo=UTC)),
            # 11: a near miss at the plantation
            (replace(planter, reporter_id=ids["rahmat"], kind="near_miss", victim="none",
                     victim_sex=None, topic_id=None, injury_type=None, occurred_on="2026-11-12"),
             dt.datetime(2026, 11, 12, 1, 0, tzinfo=UTC)),
        ]  # fmt: skip
        created = [await uow.incidents.create(incident, at) for incident, at in sent]
        first = created[0]
        await uow.incidents.set_status(
            first.id, "referred", "puskesmas", ids["sari"], dt.datetime(2026, 11, 5, 1, tzinfo=UTC)
        )
        await uow.incidents.set_days_lost(
            first.id, 2, ids["sari"], dt.datetime(2026, 11, 8, 1, tzinfo=UTC)
        )
    return database_target


def ref(number: int) -> str:
    return f"UKK-26-{number:06d}"


NOVEMBER = ("--from", "2026-11-01", "--to", "2026-11-30")
ALL_IN_PERIOD = [ref(n) for n in (1, 2, 3, 4, 5, 6, 8, 10, 11)]

FIRST_ROW_XLSX: dict[str, object] = {
    "No. laporan": ref(1),
    "Tanggal kejadian": dt.datetime(2026, 11, 5),
    "Jam": "06:30",
    "Jenis": "Kecelakaan kerja",
    "Pos UKK": "Nelayan Bontang Kuala",
    "Desa": "Bontang Kuala",
    "Kecamatan": "Bontang Utara",
    "Kab/Kota": "Kota Bontang",
    "Puskesmas": "Puskesmas Bontang Utara",
    "Korban": "Budi",
    "L/P": "L",
    "Umur": 34,
    "Pekerjaan": "nelayan",
    "Status pekerjaan": "Usaha sendiri",
    "Kegiatan saat kejadian": "Memancing / rawai",
    "Perjalanan kerja": "Tidak",
    "Apa yang terjadi": "Tertusuk kail / mata pancing: kail nyangkut di jari waktu tarik pancing",
    "Jenis cedera (kode ICLS)": "1.02 Luka terbuka",
    "Penyebab (agen)": "kail",
    "Bagian tubuh": "Tangan",
    "Kode ILO bagian tubuh": "4",
    "Tempat": "Perahu",
    "Koordinat": "0.13321, 117.49412",
    "Tanda bahaya": "Tidak",
    "Pertolongan pertama": "dicuci air bersih",
    "Berhenti kerja": "Ya",
    "Status": "Dirujuk",
    "Hasil": "Puskesmas",
    "Hari tidak bisa kerja": 2,
    "Dilaporkan": dt.datetime(2026, 11, 5, 8, 0),
}
UDIN_ROW_CSV = {
    "No. laporan": ref(6),
    "Tanggal kejadian": "2026-11-30",
    "Jam": "",
    "Jenis": "Kecelakaan kerja",
    "Pos UKK": "Nelayan Bontang Kuala",
    "Desa": "Bontang Kuala",
    "Kecamatan": "Bontang Utara",
    "Kab/Kota": "Kota Bontang",
    "Puskesmas": "Puskesmas Bontang Utara",
    "Korban": "Pak Udin",
    "L/P": "",
    "Umur": "",
    "Pekerjaan": "nelayan",
    "Status pekerjaan": "",
    "Kegiatan saat kejadian": "Mengangkat / memikul",
    "Perjalanan kerja": "Tidak",
    "Apa yang terjadi": "Luka bakar (api, minyak panas, knalpot, air panas)",
    "Jenis cedera (kode ICLS)": "6 Luka bakar, luka kimia, luka air panas",
    "Penyebab (agen)": "api / mesin panas",
    "Bagian tubuh": "",
    "Kode ILO bagian tubuh": "",
    "Tempat": "",
    "Koordinat": "",
    "Tanda bahaya": "Tidak",
    "Pertolongan pertama": "",
    "Berhenti kerja": "",
    "Status": "Baru",
    "Hasil": "",
    "Hari tidak bisa kerja": "",
    "Dilaporkan": "2026-11-30 23:59",
}
K_CASES, K_WORKERS = "Kecelakaan kerja (KAK) - kasus", "Kecelakaan kerja (KAK) - pekerja"
NEAR = "Hampir celaka (tidak dihitung KAK)"
BERAU = ("Berau", "Puskesmas Sambaliung")
BONTANG = ("Kota Bontang", "Puskesmas Bontang Utara")
LBKP_BERAU = [
    (*BERAU, "Oktober 2026", K_CASES, 1, 0, 1),
    (*BERAU, "Oktober 2026", K_WORKERS, 1, 0, 1),
    (*BERAU, "Oktober 2026", NEAR, None, None, 0),
    (*BERAU, "November 2026", K_CASES, 1, 0, 1),
    (*BERAU, "November 2026", K_WORKERS, 1, 0, 1),
    (*BERAU, "November 2026", NEAR, None, None, 1),
]
LBKP_BONTANG = [
    # cases: Budi twice (L), Wati twice (P once, once unknown), Pak Udin (unknown)
    (*BONTANG, "November 2026", K_CASES, 2, 1, 5),
    # workers: Budi (L), Wati (P), Pak Udin (unknown)
    (*BONTANG, "November 2026", K_WORKERS, 1, 1, 3),
    (*BONTANG, "November 2026", NEAR, None, None, 1),
]


def export(*args: str) -> int:
    """`posukk export incidents ...` as typed."""
    return main(["export", "incidents", *args])


def sheet_rows(path: Path, title: str) -> list[tuple[object, ...]]:
    workbook = openpyxl.load_workbook(path)
    return list(workbook[title].iter_rows(values_only=True))


def test_xlsx_lists_every_report_sent_in_the_period_and_the_lbkp_counts(
    filled: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "november.xlsx"
    assert export(*NOVEMBER, "--db", str(filled), "--output", str(out)) == 0
    assert capsys.readouterr().out == f"wrote {out} (9 reports)\n"

    workbook = openpyxl.load_workbook(out)
    assert workbook.sheetnames == ["Laporan", "LBKP-1"]
    sheet = workbook["Laporan"]
    assert sheet.freeze_panes == "A2"
    assert all(cell.font.bold for cell in sheet[1])
    assert sheet.column_dimensions["Q"].width == 50  # "Apa yang terjadi", capped
    header, *rows = sheet.iter_rows(values_only=True)
    assert header == REPORT_COLUMNS
    assert [row[0] for row in rows] == ALL_IN_PERIOD
    assert dict(zip(header, rows[0], strict=True)) == FIRST_ROW_XLSX
    near_miss = dict(zip(header, rows[4], strict=True))
    assert near_miss["Jenis"] == "Hampir celaka"
    assert near_miss["Korban"] == "-"
    assert near_miss["Kegiatan saat kejadian"] == "Perjalanan kerja"
    assert near_miss["Perjalanan kerja"] == "Ya"
    assert near_miss["Apa yang terjadi"] == HOSTILE
    assert sheet.cell(6, REPORT_COLUMNS.index("Apa yang terjadi") + 1).data_type == "s"
    wati = dict(zip(header, rows[2], strict=True))
    assert wati["Kegiatan saat kejadian"] == "Lainnya: menjemur ikan"
    assert wati["Status pekerjaan"] == "Pekerja keluarga"
    assert wati["Tanda bahaya"] == "Ya"

    lbkp_header, *counts = workbook["LBKP-1"].iter_rows(values_only=True)
    assert lbkp_header == LBKP_COLUMNS
    assert counts == LBKP_BERAU + LBKP_BONTANG


def test_csv_is_utf8_with_a_byte_order_mark_and_defuses_formulas(
    filled: Path, tmp_path: Path
) -> None:
    out = tmp_path / "november.csv"
    assert export(*NOVEMBER, "--db", str(filled), "--format", "csv", "--output", str(out)) == 0
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfNo. laporan,Tanggal kejadian,")
    with out.open(encoding="utf-8-sig", newline="") as file:
        rows = list(csv.DictReader(file))
    assert [row["No. laporan"] for row in rows] == ALL_IN_PERIOD
    assert list(rows[0]) == list(REPORT_COLUMNS)
    assert rows[0]["Tanggal kejadian"] == "2026-11-05"
    assert rows[0]["Dilaporkan"] == "2026-11-05 08:00"
    assert rows[0]["Koordinat"] == "0.13321, 117.49412"
    assert rows[4]["Apa yang terjadi"] == "'" + HOSTILE
    assert rows[5] == UDIN_ROW_CSV


def test_regency_filter_keeps_only_its_groups_in_both_sheets(filled: Path, tmp_path: Path) -> None:
    out = tmp_path / "bontang.xlsx"
    args = ("--regency", " kota bontang", "--db", str(filled), "--output", str(out))
    assert export(*NOVEMBER, *args) == 0
    _, *rows = sheet_rows(out, "Laporan")
    assert [row[0] for row in rows] == [ref(n) for n in range(1, 7)]
    _, *counts = sheet_rows(out, "LBKP-1")
    assert counts == LBKP_BONTANG


def test_a_month_without_reports_still_has_its_zero_rows(filled: Path, tmp_path: Path) -> None:
    out = tmp_path / "december.xlsx"
    args = ("--from", "2026-12-02", "--to", "2026-12-31", "--regency", "Berau")
    assert export(*args, "--db", str(filled), "--output", str(out)) == 0
    header, *rows = sheet_rows(out, "Laporan")
    assert header == REPORT_COLUMNS
    assert rows == []
    _, *counts = sheet_rows(out, "LBKP-1")
    assert counts == [
        (*BERAU, "Desember 2026", K_CASES, 0, 0, 0),
        (*BERAU, "Desember 2026", K_WORKERS, 0, 0, 0),
        (*BERAU, "Desember 2026", NEAR, None, None, 0),
    ]


def test_the_file_is_named_after_the_period_in_the_current_directory(
    filled: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    assert export(*NOVEMBER, "--db", str(filled)) == 0
    name = "laporan-insiden-2026-11-01-2026-11-30.xlsx"
    assert capsys.readouterr().out == f"wrote {name} (9 reports)\n"
    assert (tmp_path / name).is_file()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--from", "2026-11-31", "--to", "2026-11-30"), "--from '2026-11-31' is not a date"),
        (("--from", "1/11/2026", "--to", "2026-11-30"), "--from '1/11/2026' is not a date"),
        (("--from", "2026-11-01", "--to", "2026-W48-1"), "--to '2026-W48-1' is not a date"),
        (("--from", "2026-12-01", "--to", "2026-11-30"), "--from 2026-12-01 is after --to"),
        ((*NOVEMBER, "--regency", "Samarinda"),
         "no group is in regency 'Samarinda'; known: Berau, Kota Bontang"),
    ],
)  # fmt: skip
def test_errors_are_clear_and_write_nothing(
    filled: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    args: tuple[str, ...],
    message: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    assert export(*args, "--db", str(filled)) == 2
    assert capsys.readouterr().err.startswith(f"error: {message}")
    assert not list(tmp_path.glob("laporan-insiden-*"))


def test_a_missing_database_is_an_error_not_a_new_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "typo.sqlite3"
    assert export(*NOVEMBER, "--db", str(missing)) == 2
    assert capsys.readouterr().err == f"error: no database at {missing}\n"
    assert not missing.exists()


def test_every_code_has_an_indonesian_label() -> None:
    activities = {code for codes in ACTIVITIES.values() for code in codes} | {COMMUTE, OTHER}
    assert set(KIND_LABELS) == {"injury", "near_miss"}
    assert set(EMPLOYMENT_LABELS) == set(EMPLOYMENT)
    assert set(ACTIVITY_LABELS) == activities
    assert set(INJURY_TYPE_LABELS) == set(INJURY_TYPES.values())
    assert set(BODY_PART_LABELS) == set(BODY_PARTS)
    assert set(STATUS_LABELS) == set(STATUSES)
    assert set(OUTCOME_LABELS) == set(OUTCOMES)
