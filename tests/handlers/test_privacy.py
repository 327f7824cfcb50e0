"""A person's rights over their data (UU 27/2022): consent and its versions, seeing, correcting
and erasing one's data, and reporting without one's name shown to the kader."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest

from bot.app.demo import FISHERMEN_CODE
from bot.base.models import Channel
from bot.base.settings import Settings
from bot.base.texts import Texts
from bot.core.consent import consent_version
from bot.core.engine import Engine
from bot.storage.database import Database
from bot.storage.inbox import Received
from content.knowledge import Knowledge
from handlers import CONVERSATIONS
from tests.conftest import CONSENTED, START, FakeClock, Person, RowCounter, person
from tests.handlers.test_report import report_cut_on_the_boat

NAME, PHONE_TYPED, PHONE_STORED = "Rudi Hartono", "0812-9876-5432", "+6281298765432"


@pytest.fixture
def renewed(
    database: Database, texts: Texts, knowledge: Knowledge, clock: FakeClock, tmp_path: Path
) -> Engine:
    """The bot after its consent text got a new version (2099-1), as after an edit."""
    catalogs = {
        language: {**catalog, "consent.version": "2099-1"}
        for language, catalog in texts.catalogs.items()
    }
    return Engine(
        database,
        Texts(catalogs),
        Settings(data_dir=tmp_path),
        knowledge,
        CONVERSATIONS,
        clock=clock,
    )


async def register_with_phone(engine: Engine, ref: str) -> Person:
    rudi = Person(engine, ref)
    await rudi.say("/start")
    await rudi.tap("lang:id")
    await rudi.tap("consent:yes")
    await rudi.say(NAME)
    await rudi.say(PHONE_TYPED)
    await rudi.say(FISHERMEN_CODE)
    assert rudi.keys == ["registration.done", "menu.title"]
    return rudi


# -- consent -------------------------------------------------------------------------------------
async def test_registration_keeps_the_words_agreed_to(engine: Engine, rows: RowCounter) -> None:
    await register_with_phone(engine, "new-1")
    assert rows(
        "SELECT consent_version, consent_language FROM users WHERE platform_id = 'new-1'"
    ) == [(CONSENTED, "id")]
    [(text,)] = rows("SELECT text FROM consent_texts WHERE version = ?", CONSENTED)
    assert "UU 27/2022" in str(text)
    assert "5 tahun" in str(text), "the retention period is part of what was agreed"


async def test_a_new_consent_text_asks_everyone_again(renewed: Engine, rows: RowCounter) -> None:
    budi = person(renewed, "budi")
    await budi.say("menu")
    assert budi.keys == ["consent.changed"]
    assert budi.tokens == ["consent:yes", "consent:no"]
    await budi.tap("cmd:lapor")  # a button from before: not until he agrees
    assert budi.keys == ["common.choice_not_offered", "consent.changed"]
    await budi.say("1")
    assert budi.keys == ["consent.thanks", "menu.title"]
    assert rows("SELECT consent_version FROM users WHERE platform_id = 'demo:budi'") == [
        ("2099-1/5y",)
    ]
    assert rows("SELECT COUNT(*) FROM consent_texts WHERE version = '2099-1/5y'") == [(1,)]
    await budi.say("/lapor")
    assert budi.keys == ["report.ask_who"]


async def test_a_new_retention_period_asks_again(
    database: Database, texts: Texts, knowledge: Knowledge, clock: FakeClock, tmp_path: Path
) -> None:
    settings = Settings(data_dir=tmp_path, retention_years=10)
    assert consent_version(texts, settings) != CONSENTED
    engine = Engine(database, texts, settings, knowledge, CONVERSATIONS, clock=clock)
    sari = person(engine, "sari")
    await sari.say("/kegiatan")
    assert sari.keys == ["consent.changed"]
    assert "10 tahun" in sari.last[0].text


async def test_without_consent_emergencies_and_data_rights_still_work(renewed: Engine) -> None:
    budi = person(renewed, "budi")
    await budi.say("tolong ular gigit kaki saya")
    assert budi.keys[0] == "emergency.card"
    assert budi.keys[-1] == "consent.changed"
    await budi.say("sos")
    assert "sos" in budi.keys[0]
    await budi.say("/datasaya")
    assert budi.keys[0] == "my_data.summary"
    await budi.say("/grup")
    assert budi.keys == ["consent.changed"]


async def test_declining_a_new_consent_offers_to_read_again_or_erase(renewed: Engine) -> None:
    budi = person(renewed, "budi")
    await budi.say("halo")
    await budi.tap("consent:no")
    assert budi.keys == ["consent.refused"]
    assert budi.tokens == ["consent:read", "consent:erase"]
    await budi.say("apa ini")
    assert budi.keys == ["common.pick_option", "consent.refused"]
    await budi.tap("consent:read")
    assert budi.keys == ["consent.changed"]
    await budi.tap("consent:no")
    await budi.tap("consent:erase")
    assert budi.keys == ["erase.confirm"]


# -- erasure -------------------------------------------------------------------------------------
async def test_erasure_leaves_no_trace_of_the_person_in_the_database_file(
    engine: Engine, database: Database, tmp_path: Path, rows: RowCounter
) -> None:
    rudi = await register_with_phone(engine, "telegram-id-774411")
    photo = tmp_path / "photos" / "abc123.jpg"
    photo.parent.mkdir()
    photo.write_bytes(b"\xff\xd8 a photo of the wound")
    await report_cut_on_the_boat(rudi, photo_ref="photos/abc123.jpg")
    await rudi.tap("rep:send")
    assert rudi.keys == ["report.saved", "menu.title"]
    sari = person(engine, "sari")
    await sari.say("/laporan")  # the kader looks, so the name is in her screens too
    kept_before = rows("SELECT COUNT(*) FROM incidents")
    assert NAME.encode() in _stored(rows)

    await rudi.say("/hapusdata")
    assert rudi.keys == ["erase.confirm"]
    await rudi.tap("erase:yes")
    assert rudi.keys == ["erase.done"]

    content = _stored(rows)
    for trace in (NAME, "Rudi", "81298765432", "telegram-id-774411", "kena kail", "dicuci air"):
        assert trace.encode() not in content, f"{trace!r} is still in the database file"
    assert not photo.exists()
    assert rows("SELECT COUNT(*) FROM incidents") == kept_before, "the report still counts"
    assert rows(
        "SELECT kind, topic_id, body_part, reporter_id, what_text, photo_ref FROM incidents"
    ) == [("injury", "fish-hook", "hand", None, "", None)]
    assert rows("SELECT name, phone, erased_at IS NOT NULL FROM users WHERE name = ''") == [
        ("", None, 1)
    ]
    assert rows("SELECT COUNT(*) FROM memberships WHERE left_at IS NULL AND user_id ="
                " (SELECT id FROM users WHERE name = '')") == [(0,)]  # fmt: skip
    assert rows("SELECT COUNT(*) FROM audit_log WHERE action = 'erase-self'") == [(1,)]

    await rudi.say("halo")
    assert rudi.keys == ["registration.welcome"], "a stranger again"


async def test_erasure_deletes_the_persons_export_files_and_message_ids(
    engine: Engine, tmp_path: Path, rows: RowCounter
) -> None:
    rudi = await register_with_phone(engine, "telegram-id-55")
    budi = person(engine, "budi")
    await rudi.say("/datasaya")
    await budi.say("/datasaya")
    exports = tmp_path / "exports"
    assert len(list(exports.glob("datasaya-*.json"))) == 2
    assert rows("SELECT COUNT(*) FROM inbound_seen WHERE user_ref = 'telegram-id-55'") != [(0,)]
    async with engine.database.unit_of_work() as uow:  # an update of his kept as failed
        await uow.inbox.store(Channel.TERMINAL, [Received("x", "telegram-id-55", "{}")], START)
        (row,) = await uow.inbox.waiting()
        await uow.inbox.fail(row.id, "poison", START)

    await rudi.say("/hapusdata")
    await rudi.tap("erase:yes")

    (left,) = exports.glob("datasaya-*.json")
    assert "Rudi" not in left.read_text(encoding="utf-8"), "only Budi's file stays"
    assert rows("SELECT COUNT(*) FROM inbound_seen WHERE user_ref = 'telegram-id-55'") == [(0,)]
    assert rows("SELECT COUNT(*) FROM inbox") == [(0,)]
    assert rows("SELECT COUNT(*) FROM inbound_seen WHERE user_ref = 'demo:budi'") != [(0,)]


async def test_erasure_asks_first_and_no_keeps_everything(engine: Engine, rows: RowCounter) -> None:
    budi = person(engine, "budi")
    before = rows("SELECT * FROM users ORDER BY id")
    await budi.say("/hapusdata")
    assert "tidak bisa dibatalkan" in budi.last[0].text
    await budi.say("hapus saja")
    assert budi.keys == ["common.pick_option", "erase.confirm"]
    await budi.tap("erase:no")
    assert budi.keys == ["erase.kept", "menu.title"]
    after = rows("SELECT * FROM users ORDER BY id")
    assert [row[:7] for row in after] == [row[:7] for row in before]


async def test_a_kader_who_erases_herself_ends_her_role(engine: Engine, rows: RowCounter) -> None:
    sari = person(engine, "sari")
    await sari.say("/hapusdata")
    assert "kader / petugas" in sari.last[0].text
    await sari.tap("erase:yes")
    assert rows(
        "SELECT COUNT(*) FROM role_grants WHERE revoked_at IS NULL AND user_id ="
        " (SELECT id FROM users WHERE platform_id LIKE 'erased:%')"
    ) == [(0,)]


def _stored(rows: RowCounter) -> bytes:
    """What the database keeps: SQLite's file and write-ahead log on disk, byte for byte; on
    PostgreSQL every row of every table (its files keep deleted rows until a vacuum, which
    `posukk db backup` leaves behind; see docs/architecture.md)."""
    if isinstance(rows.target, str):
        return repr([rows.records(table) for table in rows.tables()]).encode()
    wal = rows.target.with_name(rows.target.name + "-wal")
    return rows.target.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


def _json(path: str) -> dict[str, list[dict[str, object]]]:
    content: dict[str, list[dict[str, object]]] = json.loads(Path(path).read_text("utf-8"))
    return content


# -- seeing and correcting -----------------------------------------------------------------------
async def test_my_data_is_a_short_message_and_a_file_with_everything(engine: Engine) -> None:
    rudi = await register_with_phone(engine, "new-5")
    await report_cut_on_the_boat(rudi)
    await rudi.tap("rep:send")
    await rudi.say("/datasaya")
    summary = rudi.last[0]
    assert summary.key == "my_data.summary"
    for expected in (NAME, PHONE_STORED, "Nelayan Bontang Kuala", "UKK-26-000001", "Terminal"):
        assert expected in summary.text
    assert summary.document is not None
    data = _json(summary.document)
    assert data["users"][0]["name"] == NAME
    assert data["incidents"][0]["what_text"] == "kena kail di jari"
    assert "UU 27/2022" in str(data["consent_texts"][0]["text"])
    assert {message["kind"] for message in data["outbox"]} == {"followup"}


async def test_changing_name_and_phone_keeps_asking_until_it_fits(
    engine: Engine, rows: RowCounter
) -> None:
    budi = person(engine, "budi")
    await budi.say("/ubahdata")
    assert budi.keys == ["profile.pick"]
    await budi.tap("profile:name")
    await budi.say("12345")
    assert budi.keys == ["registration.name_invalid", "profile.ask_name"]
    await budi.say("Budi Santoso")
    assert budi.keys == ["profile.saved_name", "menu.title"]
    await budi.say("/ubahdata")
    await budi.say("2")
    assert budi.keys == ["profile.ask_phone"]
    await budi.say("nomor saya")
    assert budi.keys == ["profile.phone_invalid", "profile.ask_phone"]
    await budi.say("0813 1111 2222")
    assert budi.keys == ["profile.saved_phone", "menu.title"]
    assert rows("SELECT name, phone FROM users WHERE platform_id = 'demo:budi'") == [
        ("Budi Santoso", "+6281311112222")
    ]
    await budi.say("/ubahdata")
    await budi.tap("profile:phone")
    await budi.tap("profile:no_phone")
    assert rows("SELECT phone FROM users WHERE platform_id = 'demo:budi'") == [(None,)]
    await budi.say("/ubahdata")
    await budi.tap("profile:group")
    assert budi.keys == ["group.current"]
    await budi.say("/ubahdata")
    await budi.tap("profile:language")
    assert budi.keys == ["language.ask"]


# -- anonymous reports ---------------------------------------------------------------------------
async def test_an_anonymous_report_hides_the_name_from_the_kader_only(
    engine: Engine, rows: RowCounter
) -> None:
    budi = person(engine, "budi")
    await report_cut_on_the_boat(budi)
    assert "rep:send_anon" in budi.tokens
    await budi.tap("rep:send_anon")
    assert budi.keys == ["report.saved", "menu.title"]
    assert rows("SELECT anonymous FROM incidents") == [(1,)]
    [(alert,)] = rows("SELECT payload FROM outbox WHERE kind = 'incident_alert'")
    text = json.loads(str(alert))["text"]
    assert "Budi" not in text
    assert "anonim" in text

    sari = person(engine, "sari")
    await sari.say("/laporan")
    assert not any("Budi" in choice.label for reply in sari.last for choice in reply.choices)
    await sari.tap("rv:1")
    assert "Budi" not in sari.last[0].text
    assert "anonim" in sari.last[0].text
    await sari.tap("rv:list")
    await sari.tap("rv:export")
    export = next(reply.document for reply in sari.last if reply.document)
    assert export is not None
    cells = [
        str(value)
        for sheet in openpyxl.load_workbook(export).worksheets
        for row in sheet.iter_rows(values_only=True)
        for value in row
        if value is not None
    ]
    assert "anonim" in cells
    assert not any("Budi" in cell for cell in cells)

    andi = person(engine, "andi")  # the officer
    await andi.say("/laporan")
    await andi.tap("rv:1")
    assert "Budi" in andi.last[0].text
