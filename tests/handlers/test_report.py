"""Reporting an incident through the engine: every question, re-prompts, restarts, alerts."""

from __future__ import annotations

import asyncio
import json

from bot.base.texts import Texts
from bot.core.engine import Engine
from bot.storage.database import Database
from content.knowledge import Knowledge
from handlers import CONVERSATIONS
from tests.conftest import FakeClock, Person, RowCounter, person


def alerts(rows: RowCounter, kind: str) -> list[tuple[object, ...]]:
    return rows(
        "SELECT users.name, outbox.urgent FROM outbox JOIN users ON users.id = outbox.user_id"
        " WHERE outbox.kind = ? ORDER BY users.name",
        kind,
    )


async def report_cut_on_the_boat(budi: Person, photo_ref: str | None = None) -> None:
    """Budi reports his own hook wound, answering every question, tapping and typing."""
    await budi.say("/lapor")
    assert budi.keys == ["report.ask_who"]
    await budi.say("saya sendiri")
    assert budi.keys == ["report.ask_sex"]
    await budi.say("L")
    await budi.say("42 tahun")
    assert budi.keys == ["report.ask_employment"]
    await budi.say("usaha sendiri")
    assert budi.keys == ["report.ask_what"]
    await budi.say("kena kail di jari")
    assert budi.keys == ["report.ask_when"], "the words say which body part"
    await budi.say("tadi jam 7")
    assert budi.keys == ["report.ask_where"]
    assert budi.last[0].request == "location"
    await budi.say("di perahu")
    assert budi.keys == ["report.ask_activity"]
    await budi.say("memancing")
    assert budi.keys == ["report.ask_danger"]
    await budi.say("tidak")
    assert budi.keys == ["report.ask_first_aid"]
    await budi.say("dicuci air bersih, ditutup kain")
    assert budi.keys == ["report.ask_stopped"]
    await budi.say("ya")
    assert budi.keys == ["report.ask_photo"]
    if photo_ref is None:
        await budi.say("lewati")
    else:
        budi.last = await budi.engine.handle(budi.inbound(photo_ref=photo_ref))
    assert budi.keys == ["report.summary"]


async def test_a_worker_reports_his_injury_and_the_kader_is_alerted(
    engine: Engine, rows: RowCounter
) -> None:
    budi = person(engine, "budi")
    await report_cut_on_the_boat(budi)
    summary = budi.last[0].text
    for expected in ("Tertusuk kail", "kena kail di jari", "Tangan / jari", "23-11-2026 07:00"):
        assert expected in summary
    await budi.say("kirim")
    assert budi.keys == ["report.saved", "menu.title"]
    assert "UKK-26-000001" in budi.last[0].text
    stored = rows(
        "SELECT reference, kind, victim, victim_sex, victim_age, employment, occupation,"
        " topic_id, injury_type, material_agent, body_part, occurred_on, occurred_time,"
        " place_text, activity, commuting, danger_signs, first_aid_given, stopped_work, severe,"
        " status FROM incidents"
    )
    assert stored == [
        (
            "UKK-26-000001", "injury", "self", "L", 42, "self_employed", "nelayan", "fish-hook",
            "1.02", "kail", "hand", "2026-11-23", "07:00", "Di perahu / laut", "line", 0, 0,
            "dicuci air bersih, ditutup kain", 1, 0, "open",
        )
    ]  # fmt: skip
    assert alerts(rows, "incident_alert") == [("Bu Sari", 0)], "not severe: the kader only"
    alert = json.loads(str(rows("SELECT payload FROM outbox WHERE kind = 'incident_alert'")[0][0]))
    assert [c["token"] for c in alert["choices"]] == [
        "inc:1:contacted",
        "inc:1:treated",
        "inc:1:referred",
        "inc:1:closed",
    ]
    followups = rows("SELECT dedupe_key, not_before FROM outbox WHERE kind = 'followup'")
    assert followups == [
        ("followup:1:1:to:2", "2026-11-24T01:00:00+00:00"),
        ("followup:1:2:to:2", "2026-11-26T01:00:00+00:00"),
    ]
    assert rows("SELECT action FROM incident_events") == [("submitted",)]


async def test_a_second_report_about_oneself_skips_what_is_known(
    engine: Engine, rows: RowCounter
) -> None:
    budi = person(engine, "budi")
    await report_cut_on_the_boat(budi)
    await budi.say("kirim")
    await budi.say("/lapor")
    await budi.tap("rep:who:self")
    assert budi.keys == ["report.ask_what"], "sex, age and work status come from the last report"


async def test_from_a_first_aid_answer_the_injury_is_already_filled_in(engine: Engine) -> None:
    budi = person(engine, "budi")
    await budi.say("tangan kena duri ikan pari")
    assert "fa:report" in budi.tokens
    await budi.tap("fa:report")
    assert budi.keys == ["report.ask_who"]
    await budi.tap("rep:who:other")
    await budi.say("Pak Joko")
    await budi.tap("rep:sex:L")
    await budi.tap("rep:age:unknown")
    await budi.tap("rep:emp:daily_labourer")
    assert budi.keys == ["report.ask_when"], "what happened and where are known from first aid"


async def test_every_question_asks_again_and_keeps_the_earlier_answers(engine: Engine) -> None:
    budi = person(engine, "budi")
    await budi.say("/lapor")
    await budi.say("mungkin")
    assert budi.keys == ["common.pick_option", "report.ask_who"]
    await budi.tap("rep:who:other")
    await budi.say("x")
    assert budi.keys == ["report.name_invalid", "report.ask_name"]
    await budi.say("Pak Joko")
    await budi.say("banci")
    assert budi.keys == ["common.pick_option", "report.ask_sex"]
    await budi.tap("rep:sex:L")
    await budi.say("umur 300")
    assert budi.keys == ["report.age_invalid", "report.ask_age"]
    await budi.say("50")
    await budi.say("tidak tahu")
    assert budi.keys == ["common.pick_option", "report.ask_employment"]
    await budi.tap("rep:emp:family_worker")
    await budi.say("a")
    assert budi.keys == ["report.what_invalid", "report.ask_what"]
    await budi.tap("topic:cut")
    await budi.say("perut")
    assert budi.keys == ["common.pick_option", "report.ask_body"]
    await budi.tap("rep:body:leg")
    await budi.say("besok jam 8")
    assert budi.keys == ["report.when_future", "report.ask_when"]
    await budi.say("31/2")
    assert budi.keys == ["report.when_invalid", "report.ask_when"]
    await budi.tap("rep:when:yday")
    await budi.say("x" * 500)
    assert budi.keys == ["report.where_invalid", "report.ask_where"]
    await budi.tap("rep:at:dock")
    await budi.say("?")
    assert budi.keys == ["common.pick_option", "report.ask_activity"]
    await budi.say("memperbaiki jaring di darat")
    await budi.say("entahlah")
    assert budi.keys == ["common.pick_yes_no", "report.ask_danger"]
    await budi.tap("rep:danger:no")
    await budi.say("-")
    assert budi.keys == ["report.first_aid_invalid", "report.ask_first_aid"]
    await budi.tap("rep:fa:none")
    await budi.say("mungkin")
    assert budi.keys == ["common.pick_yes_no", "report.ask_stopped"]
    await budi.tap("rep:stop:no")
    await budi.say("ini fotonya")
    assert budi.keys == ["report.photo_invalid", "report.ask_photo"]
    await budi.tap("rep:photo:skip")
    assert budi.keys == ["report.summary"]
    summary = budi.last[0].text
    for expected in ("Pak Joko", "Laki-laki, umur 50, Bantu keluarga", "Luka sayat", "Kaki"):
        assert expected in summary
    assert "22-11-2026" in summary
    assert "Dermaga" in summary
    assert "memperbaiki jaring di darat" in summary


async def test_correcting_one_answer_keeps_all_the_others(engine: Engine, rows: RowCounter) -> None:
    budi = person(engine, "budi")
    await report_cut_on_the_boat(budi)
    await budi.tap("rep:fix")
    assert budi.keys == ["report.ask_fix"]
    await budi.say("di mana")
    assert budi.keys == ["report.ask_where"]
    await budi.say("dermaga Tanjung Laut")
    assert budi.keys == ["report.summary"], "straight back to the summary"
    assert "dermaga Tanjung Laut" in budi.last[0].text
    await budi.tap("rep:fix")
    await budi.tap("rep:fix:who")
    await budi.tap("rep:who:other")
    assert budi.keys == ["report.ask_name"], "a new person needs a name, the rest is kept"
    await budi.say("Pak Joko")
    assert budi.keys == ["report.summary"]
    await budi.tap("rep:send")
    assert rows("SELECT victim, victim_name, place_text FROM incidents") == [
        ("other", "Pak Joko", "dermaga Tanjung Laut")
    ]


async def test_a_near_miss_asks_only_what_fits_and_is_counted_apart(
    engine: Engine, rows: RowCounter
) -> None:
    rahmat = person(engine, "rahmat")
    await rahmat.say("/lapor")
    await rahmat.tap("rep:who:none")
    assert rahmat.keys == ["report.ask_what_near_miss"]
    await rahmat.say("pelepah hampir jatuh ke kepala pemanen")
    assert rahmat.keys == ["report.ask_when"]
    await rahmat.tap("rep:when:now")
    await rahmat.tap("rep:at:field")
    assert rahmat.keys == ["report.ask_photo"], "the harvest is in his words"
    await rahmat.tap("rep:photo:skip")
    await rahmat.tap("rep:send")
    assert rows("SELECT kind, victim, body_part, topic_id, occupation FROM incidents") == [
        ("near_miss", "none", None, None, "pekerja sawit")
    ]
    assert rows("SELECT COUNT(*) FROM outbox WHERE kind = 'followup'") == [(0,)]


async def test_an_emergency_answer_alerts_at_once_and_the_report_goes_on(
    engine: Engine, rows: RowCounter
) -> None:
    budi = person(engine, "budi")
    await budi.say("/lapor")
    await budi.tap("rep:who:other")
    await budi.say("Pak Joko")
    await budi.tap("rep:sex:L")
    await budi.say("40")
    await budi.tap("rep:emp:self_employed")
    await budi.say("tenggelam, tidak bernapas")
    assert budi.keys == ["emergency.card", "report.alarm_sent", "report.ask_body"]
    assert alerts(rows, "incident_alarm") == [("Bu Sari", 1), ("Pak Andi", 1)]
    await budi.tap("rep:body:several")
    await budi.tap("rep:when:now")
    await budi.say("masih tidak napas")  # a second emergency answer does not alarm twice
    assert "report.alarm_sent" not in budi.keys
    assert len(alerts(rows, "incident_alarm")) == 2


async def test_a_danger_sign_marks_the_report_severe_and_alerts_the_officers_too(
    engine: Engine, rows: RowCounter
) -> None:
    budi = person(engine, "budi")
    await report_cut_on_the_boat(budi)
    await budi.tap("rep:fix")
    await budi.tap("rep:fix:what")
    await budi.tap("topic:cut")
    assert budi.keys == ["report.ask_danger"], "another injury: its danger signs are asked"
    await budi.tap("rep:danger:yes")
    assert budi.keys == ["emergency.card", "report.alarm_sent", "report.summary"]
    await budi.tap("rep:send")
    assert rows("SELECT severe, danger_signs FROM incidents") == [(1, 1)]
    assert alerts(rows, "incident_alert") == [("Bu Sari", 1), ("Pak Andi", 1)]


async def test_a_report_survives_a_restart_midway(
    engine: Engine, database: Database, texts: Texts, clock: FakeClock, knowledge: Knowledge
) -> None:
    budi = person(engine, "budi")
    await budi.say("/lapor")
    await budi.tap("rep:who:self")
    await budi.tap("rep:sex:L")
    restarted = Engine(database, texts, engine.settings, knowledge, CONVERSATIONS, clock=clock)
    again = Person(restarted, budi.ref)
    await again.say("35")
    assert again.keys == ["report.ask_employment"]


async def test_fifty_reports_at_once_get_fifty_references(
    engine: Engine, database: Database, rows: RowCounter
) -> None:
    async def report(number: int) -> None:
        worker = Person(engine, f"w{number}")
        await worker.register(f"Pekerja {number}")
        await worker.say("/lapor")
        for token in ("rep:who:none",):
            await worker.tap(token)
        await worker.say(f"hampir jatuh dari tangga nomor {number}")
        for token in ("rep:when:now", "rep:at:dock", "rep:act:net", "rep:photo:skip"):
            await worker.tap(token)
        await worker.tap("rep:send")
        assert worker.keys[0] == "report.saved"

    await asyncio.gather(*(report(n) for n in range(50)))
    references = rows("SELECT reference FROM incidents")
    assert len(set(references)) == len(references) == 50


async def test_a_voice_note_during_a_report_is_kept_with_it(
    engine: Engine, rows: RowCounter
) -> None:
    budi = person(engine, "budi")
    budi.last = await engine.handle(budi.inbound(voice_ref="photos/abc.ogg"))
    assert budi.keys == ["unreadable.voice", "menu.title"], "outside a report: not read"
    await report_cut_on_the_boat(budi)
    assert "🎤" not in budi.last[0].text
    budi.last = await engine.handle(budi.inbound(voice_ref="photos/abc.ogg"))
    assert budi.keys == ["report.voice_kept", "report.summary"], "kept, and asked again"
    assert "🎤" in budi.last[1].text
    await budi.tap("rep:send")
    assert rows("SELECT voice_ref FROM incidents") == [("photos/abc.ogg",)]


async def test_the_persons_own_words_answer_the_body_part_and_the_work(
    engine: Engine, rows: RowCounter
) -> None:
    budi = person(engine, "budi")  # a fisherman, hurt at oil-palm work
    await budi.say("/lapor")
    await budi.tap("rep:who:self")
    await budi.tap("rep:sex:L")
    await budi.say("42")
    await budi.tap("rep:emp:daily_labourer")
    await budi.say("tangan tertusuk duri sawit waktu panen")
    assert budi.keys == ["report.ask_when"], "neither the body part nor the work is asked"
    await budi.tap("rep:when:today")
    places = [token for token in budi.tokens if token.startswith("rep:at:")]
    assert places[:3] == ["rep:at:field", "rep:at:road", "rep:at:collection"], "oil palm first"
    assert "rep:at:boat" in places, "his own trade's places still offered"
    await budi.tap("rep:at:field")
    assert budi.keys == ["report.ask_danger"], "the work is not asked either"
    for token in ("rep:danger:no", "rep:fa:none", "rep:stop:no", "rep:photo:skip"):
        await budi.tap(token)
    assert budi.keys == ["report.summary"]
    summary = budi.last[-1].text
    for expected in ("🩹 Tangan / jari", "🛠 Memanen TBS", "saya isi: bagian tubuh, kerja apa."):
        assert expected in summary
    await budi.tap("rep:fix")
    await budi.tap("rep:fix:body")
    await budi.tap("rep:body:arm")
    assert budi.keys == ["report.summary"]
    assert "🩹 Lengan" in budi.last[0].text
    assert "saya isi: kerja apa." in budi.last[0].text, "the body part is his answer now"
    await budi.tap("rep:send")
    assert rows("SELECT topic_id, body_part, activity FROM incidents") == [
        ("palm-thorn", "arm", "harvest")
    ]


async def test_the_work_question_offers_the_trade_the_words_name_first(engine: Engine) -> None:
    budi = person(engine, "budi")
    await budi.say("/lapor")
    await budi.tap("rep:who:none")
    await budi.say("hampir kena duri sawit")
    await budi.tap("rep:when:today")
    await budi.tap("rep:at:home")
    assert budi.keys == ["report.ask_activity"]
    works = [token.removeprefix("rep:act:") for token in budi.tokens]
    assert works == [
        "harvest", "spray", "fertilise", "carry", "net", "line", "dive", "engine", "commute",
        "other",
    ]  # fmt: skip
    await budi.say("1")
    assert budi.keys == ["report.ask_photo"]
