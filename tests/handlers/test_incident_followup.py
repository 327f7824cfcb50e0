"""After a report: kader act on it, the worker is asked how it goes, nobody is forgotten."""

from __future__ import annotations

import datetime as dt

import openpyxl

from bot.base.texts import Texts
from bot.core.engine import Engine
from bot.storage.database import Database
from content.knowledge import Knowledge
from scheduler.escalation import escalate_unattended
from tests.conftest import FakeClock, Person, RowCounter, deliver, person
from tests.handlers.test_report import report_cut_on_the_boat


async def reported(engine: Engine) -> Person:
    budi = person(engine, "budi")
    await report_cut_on_the_boat(budi)
    await budi.tap("rep:send")
    assert budi.keys[0] == "report.saved"
    return budi


async def test_the_kader_acts_from_the_alert_and_the_worker_hears_of_it(
    engine: Engine, rows: RowCounter
) -> None:
    await reported(engine)
    sari = person(engine, "sari")
    await sari.say("/menu")
    await sari.tap("inc:1:contacted")
    assert sari.keys == ["incident.done_contacted", "menu.title"]
    await sari.tap("inc:1:referred")
    assert rows("SELECT status, outcome, first_action_at IS NOT NULL FROM incidents") == [
        ("referred", "puskesmas", 1)
    ]
    timeline = rows("SELECT action, actor_id FROM incident_events ORDER BY id")
    assert [action for action, _ in timeline] == ["submitted", "contacted", "referred"]
    updates = rows(
        "SELECT users.name FROM outbox JOIN users ON users.id = outbox.user_id"
        " WHERE outbox.kind = 'incident_update'"
    )
    assert updates == [("Budi",), ("Budi",)]
    assert rows("SELECT COUNT(*) FROM audit_log WHERE action = 'incident-status'") == [(2,)]


async def test_closing_stops_the_followups(engine: Engine, rows: RowCounter) -> None:
    await reported(engine)
    sari = person(engine, "sari")
    await sari.tap("inc:1:closed")
    assert sari.keys[0] == "incident.done_closed"
    assert rows("SELECT status FROM outbox WHERE kind = 'followup'") == [("failed",)] * 2
    await sari.tap("inc:1:treated")
    assert sari.keys[0] == "incident.already_closed"


async def test_a_kader_of_another_group_cannot_act_even_with_a_forged_token(
    engine: Engine, rows: RowCounter
) -> None:
    await reported(engine)
    rahmat = person(engine, "rahmat")  # kader of the plantation group, not Budi's
    await rahmat.tap("inc:1:closed")
    assert rahmat.keys[0] == "common.choice_not_offered", "never offered to him"
    assert rows("SELECT status FROM incidents") == [("open",)]


async def test_followups_come_at_24_and_72_hours_and_worse_with_signs_alerts_the_kader(
    engine: Engine, database: Database, clock: FakeClock, rows: RowCounter
) -> None:
    budi = await reported(engine)
    await deliver(database, clock)
    clock.advance(hours=23)
    assert not [m for m in await deliver(database, clock) if "followup" in m[1]]
    clock.advance(hours=1)
    sent = await deliver(database, clock)
    assert any("Bagaimana luka Budi sekarang?" in text for _, text in sent)
    await budi.tap("fu:1:1:worse")
    assert budi.keys == ["followup.thanks_worse", "followup.ask_signs"]
    assert "garis merah menjalar dari luka" in budi.last[1].text, "the wound-infection signs"
    await budi.say("ya")
    assert budi.keys == ["followup.go_puskesmas", "menu.title"]
    assert rows(
        "SELECT users.name, outbox.urgent FROM outbox JOIN users ON users.id = outbox.user_id"
        " WHERE outbox.kind = 'incident_worse'"
    ) == [("Bu Sari", 1)]
    clock.advance(hours=48)
    await deliver(database, clock)
    await budi.tap("fu:1:2:better")
    assert budi.keys == ["followup.thanks_better", "followup.ask_days"]
    await budi.say("empat hari")
    assert budi.keys == ["followup.days_invalid", "followup.ask_days"]
    await budi.say("4")
    assert budi.keys == ["followup.days_saved", "menu.title"]
    assert rows("SELECT days_lost FROM incidents") == [(4,)]
    events = [a for (a,) in rows("SELECT action FROM incident_events ORDER BY id")]
    assert events == ["submitted", "followup_1", "worse_signs", "followup_2", "days_lost"]


async def test_someone_else_cannot_answer_a_followup(engine: Engine, clock: FakeClock) -> None:
    await reported(engine)
    sari = person(engine, "sari")
    await sari.tap("fu:1:1:better")
    assert sari.keys[0] == "common.choice_not_offered"


async def test_a_report_nobody_handles_in_24_hours_goes_to_the_officers_once(
    engine: Engine,
    database: Database,
    texts: Texts,
    knowledge: Knowledge,
    clock: FakeClock,
    rows: RowCounter,
) -> None:
    await reported(engine)
    later = clock() + dt.timedelta(hours=23, minutes=59)
    assert await escalate_unattended(database, texts, knowledge, later, 24) == 0
    later = clock() + dt.timedelta(hours=24)
    assert await escalate_unattended(database, texts, knowledge, later, 24) == 1
    assert await escalate_unattended(database, texts, knowledge, later, 24) == 0, "only once"
    escalations = rows(
        "SELECT users.name, outbox.payload FROM outbox JOIN users ON users.id = outbox.user_id"
        " WHERE outbox.kind = 'incident_escalation'"
    )
    assert [name for name, _ in escalations] == ["Pak Andi"]
    assert "UKK-26-000001" in str(escalations[0][1])
    andi = person(engine, "andi")
    clock.now = later
    await andi.tap("inc:1:contacted")
    assert andi.keys[0] == "incident.done_contacted", "the officer can act from the escalation"


async def test_a_report_the_kader_handled_is_not_escalated(
    engine: Engine, database: Database, texts: Texts, knowledge: Knowledge, clock: FakeClock
) -> None:
    await reported(engine)
    await person(engine, "sari").tap("inc:1:contacted")
    later = clock() + dt.timedelta(hours=30)
    assert await escalate_unattended(database, texts, knowledge, later, 24) == 0


async def test_a_worker_sees_his_own_reports_with_their_status(engine: Engine) -> None:
    budi = await reported(engine)
    await person(engine, "sari").tap("inc:1:treated")
    await budi.say("/laporan")
    assert budi.keys == ["reports.mine"]
    assert "UKK-26-000001, 23-11-2026: ditangani di kelompok" in budi.last[0].text


async def test_the_kader_opens_a_report_sees_its_history_and_acts(
    engine: Engine, rows: RowCounter
) -> None:
    await reported(engine)
    sari = person(engine, "sari")
    await sari.say("/laporan")
    assert sari.keys == ["reports.list"]
    assert "rv:1" in sari.tokens
    await sari.tap("rv:1")
    assert sari.keys == ["reports.detail"]
    assert "Budi: melapor" in sari.last[0].text
    await sari.say("dirujuk ke rs")
    assert sari.keys == ["incident.done_hospital", "reports.detail"]
    assert "Bu Sari: dirujuk" in sari.last[1].text
    assert rows("SELECT status, outcome FROM incidents") == [("referred", "hospital")]


async def test_reports_of_another_group_are_out_of_sight(engine: Engine) -> None:
    await reported(engine)
    rahmat = person(engine, "rahmat")
    await rahmat.say("/laporan")
    assert rahmat.keys == ["reports.list"]
    assert "rv:1" not in rahmat.tokens
    await rahmat.tap("rv:1")
    assert rahmat.keys[0] == "common.choice_not_offered"


async def test_the_officer_filters_by_period_and_sector(engine: Engine, clock: FakeClock) -> None:
    await reported(engine)
    andi = person(engine, "andi")
    await andi.say("/laporan")
    assert "rv:1" in andi.tokens
    await andi.tap("rv:filter")
    await andi.tap("rv:f:sector")
    await andi.say("sawit")
    assert andi.keys == ["reports.list"]
    assert "rv:1" not in andi.tokens, "Budi's group is a fishing group"
    await andi.tap("rv:filter")
    await andi.tap("rv:f:clear")
    await andi.tap("rv:filter")
    await andi.tap("rv:f:period")
    await andi.say("bulan lalu")
    assert "rv:1" not in andi.tokens
    await andi.tap("rv:filter")
    await andi.tap("rv:f:period")
    await andi.say("bulan ini")
    assert "rv:1" in andi.tokens


async def test_the_officer_downloads_the_reports_of_this_month_as_excel(
    engine: Engine, rows: RowCounter
) -> None:
    await reported(engine)
    andi = person(engine, "andi")
    await andi.say("/laporan")
    await andi.tap("rv:filter")
    await andi.tap("rv:f:period")
    await andi.tap("rv:v:month")
    await andi.tap("rv:export")
    assert andi.keys == ["reports.exported", "reports.list"]
    assert "01-11-2026 s.d. 23-11-2026: 1 laporan" in andi.last[0].text
    document = andi.last[0].document
    assert document is not None
    workbook = openpyxl.load_workbook(document)
    assert workbook.sheetnames == ["Laporan", "LBKP-1"]
    sheet = workbook["Laporan"]
    assert sheet.max_row == 2
    assert sheet.cell(2, 1).value == "UKK-26-000001"
    assert rows("SELECT action FROM audit_log WHERE action = 'export-incidents'") == [
        ("export-incidents",)
    ]


async def test_a_worker_cannot_export(engine: Engine) -> None:
    budi = await reported(engine)
    await budi.say("/laporan")
    await budi.tap("rv:export")
    assert budi.keys[0] == "common.choice_not_offered"


async def test_alerts_and_followups_are_answered_by_typing_their_number(
    engine: Engine, database: Database, clock: FakeClock, rows: RowCounter
) -> None:
    budi = await reported(engine)
    sari = person(engine, "sari")
    await sari.say("/kegiatan")
    clock.advance(minutes=1)
    await deliver(database, clock)
    clock.advance(minutes=1)
    await sari.say("1")  # the alert's first button, whatever she was doing
    assert sari.keys[0] == "incident.done_contacted"
    assert sari.last[0].text.startswith("Tercatat:")
    clock.advance(hours=24)
    await deliver(database, clock)
    clock.advance(minutes=1)
    await budi.say("lebih parah")
    assert budi.keys == ["followup.thanks_worse", "followup.ask_signs"]
    assert budi.last[0].text.startswith("Tercatat: Lebih parah")
    assert [a for (a,) in rows("SELECT action FROM incident_events ORDER BY id")] == [
        "submitted",
        "contacted",
        "followup_1",
    ]
