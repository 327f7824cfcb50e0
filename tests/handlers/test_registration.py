"""Registration: language, consent, name and join code, by buttons or by typing."""

from __future__ import annotations

import pytest

from bot.app.demo import FISHERMEN_CODE
from bot.core.engine import Engine
from tests.conftest import CONSENTED, Person, RowCounter


async def test_full_registration_by_buttons_joins_group_and_alerts_kader(
    engine: Engine, rows: RowCounter
) -> None:
    """A new worker registers and the group's kader gets a message through the outbox."""
    users_before = rows.count("users")
    worker = Person(engine, "new-1")
    await worker.say("/start")
    assert worker.keys == ["registration.welcome"]
    assert worker.tokens == ["lang:id", "lang:en"]
    await worker.tap("lang:id")
    assert worker.keys == ["registration.consent"]
    await worker.tap("consent:yes")
    assert worker.keys == ["registration.ask_name"]
    await worker.say("  Rudi   Hartono ")
    assert worker.keys == ["registration.ask_phone"]
    assert worker.last[0].request == "contact"
    worker.last = await engine.handle(worker.inbound(contact_phone="+62 812-3456-7890"))
    assert worker.keys == ["registration.ask_code"]
    await worker.say(FISHERMEN_CODE.lower())
    assert worker.keys == ["registration.done", "menu.title"]
    assert "Rudi Hartono" in worker.last[0].text

    assert rows.count("users") == users_before + 1
    assert rows(
        "SELECT name, language, consent_version FROM users WHERE platform_id = 'new-1'"
    ) == [("Rudi Hartono", "id", CONSENTED)]
    alerts = rows(
        "SELECT users.name, outbox.kind FROM outbox JOIN users ON users.id = outbox.user_id"
    )
    assert alerts == [("Bu Sari", "member_joined")]


async def test_registration_by_typing_numbers_and_labels(engine: Engine, rows: RowCounter) -> None:
    """Every question can be answered by typing the option's number or its label."""
    worker = Person(engine, "new-typing")
    await worker.say("halo")
    assert worker.keys == ["registration.welcome"]
    await worker.say("2")
    assert worker.keys == ["registration.consent"]
    assert "Do you agree?" in worker.last[0].text
    await worker.say("i agree")
    await worker.say("Joko")
    await worker.say("skip")
    await worker.say("No code yet")
    assert worker.keys == ["registration.done_no_group", "menu.title"]
    assert rows("SELECT language FROM users WHERE platform_id = 'new-typing'") == [("en",)]


async def test_declining_consent_stores_nothing(engine: Engine, rows: RowCounter) -> None:
    """Decline leaves no user, no session and no outbox row behind."""
    before = {table: rows.count(table) for table in ("users", "sessions", "outbox", "memberships")}
    worker = Person(engine, "new-decline")
    await worker.say("/start")
    await worker.tap("lang:id")
    await worker.tap("consent:no")
    assert worker.keys == ["registration.declined"]
    after = {table: rows.count(table) for table in before}
    assert after == before
    assert rows("SELECT * FROM sessions WHERE platform_id = 'new-decline'") == []


async def test_yes_word_answers_consent(engine: Engine) -> None:
    """Typing "iya" counts as agreeing."""
    worker = Person(engine, "new-iya")
    await worker.say("/start")
    await worker.say("1")
    await worker.say("iya")
    assert worker.keys == ["registration.ask_name"]


async def test_wrong_answers_reprompt_and_keep_earlier_answers(
    engine: Engine, rows: RowCounter
) -> None:
    """A bad name or an unknown code re-asks the same question; nothing given is lost."""
    worker = Person(engine, "new-wrong")
    await worker.say("/start")
    await worker.say("bahasa jawa")
    assert worker.keys == ["language.invalid", "registration.welcome"]
    await worker.tap("lang:id")
    await worker.say("mungkin")
    assert worker.keys == ["registration.consent_invalid", "registration.consent"]
    await worker.tap("consent:yes")
    await worker.say("12345")
    assert worker.keys == ["registration.name_invalid", "registration.ask_name"]
    await worker.say("x" * 500)
    assert worker.keys == ["registration.name_invalid", "registration.ask_name"]
    await worker.say("Siti")
    await worker.say("hp sy rusak")
    assert worker.keys == ["registration.phone_invalid", "registration.ask_phone"]
    await worker.say("0812 1111 2222")
    await worker.say("ZZZZZZ")
    assert worker.keys == ["registration.code_unknown", "registration.ask_code"]
    await worker.say("/menu")
    assert worker.keys == ["registration.finish_first", "registration.ask_code"]
    await worker.say(FISHERMEN_CODE)
    assert worker.keys == ["registration.done", "menu.title"]
    assert rows("SELECT name, phone FROM users WHERE platform_id = 'new-wrong'") == [
        ("Siti", "+6281211112222")
    ]


async def test_start_payload_join_code_skips_the_code_question(
    engine: Engine, rows: RowCounter
) -> None:
    """A deep link `/start CODE` joins the group right after the name."""
    worker = Person(engine, "new-link")
    await worker.say(f"/start {FISHERMEN_CODE}")
    await worker.tap("lang:id")
    await worker.tap("consent:yes")
    await worker.say("Andi")
    await worker.tap("phone:skip")
    assert worker.keys == ["registration.done", "menu.title"]
    assert rows.count("outbox") == 1


@pytest.mark.parametrize(
    "first", [f"DAFTAR {FISHERMEN_CODE}", f"daftar: {FISHERMEN_CODE.lower()}", FISHERMEN_CODE]
)
async def test_a_first_message_with_the_code_joins_as_a_link_does(
    engine: Engine, rows: RowCounter, first: str
) -> None:
    """What a WhatsApp join link writes ("DAFTAR CODE"), or the code alone, as `/start CODE`."""
    worker = Person(engine, "new-wa-link")
    await worker.say(first)
    assert worker.keys == ["registration.welcome"]
    await worker.tap("lang:id")
    await worker.tap("consent:yes")
    await worker.say("Andi")
    await worker.tap("phone:skip")
    assert worker.keys == ["registration.done", "menu.title"]
    assert rows(
        "SELECT g.join_code FROM memberships JOIN pos_groups g ON g.id = memberships.group_id"
        " JOIN users ON users.id = memberships.user_id WHERE users.name = 'Andi'"
    ) == [(FISHERMEN_CODE,)]


async def test_a_word_shaped_like_a_code_is_no_code_but_daftar_with_a_wrong_code_is(
    engine: Engine,
) -> None:
    guess = Person(engine, "new-berapa")
    await guess.say("berapa")
    await guess.tap("lang:id")
    await guess.tap("consent:yes")
    await guess.say("Andi")
    await guess.tap("phone:skip")
    assert guess.keys == ["registration.ask_code"], "no group has that code: never one"
    wrong = Person(engine, "new-daftar-wrong")
    await wrong.say("DAFTAR NOPE99")
    await wrong.tap("lang:id")
    await wrong.tap("consent:yes")
    await wrong.say("Andi")
    await wrong.tap("phone:skip")
    assert wrong.keys == ["registration.link_code_unknown", "registration.ask_code"]


async def test_unknown_start_payload_asks_for_the_code(engine: Engine) -> None:
    worker = Person(engine, "new-badlink")
    await worker.say("/start NOPE99")
    await worker.tap("lang:id")
    await worker.tap("consent:yes")
    await worker.say("Andi")
    await worker.tap("phone:skip")
    assert worker.keys == ["registration.link_code_unknown", "registration.ask_code"]


async def test_cancel_mid_registration_stores_nothing(engine: Engine, rows: RowCounter) -> None:
    """/batal during registration ends it; the next message starts afresh."""
    users_before = rows.count("users")
    worker = Person(engine, "new-cancel")
    await worker.say("/start")
    await worker.tap("lang:id")
    await worker.tap("consent:yes")
    await worker.say("batal")
    assert worker.keys == ["common.cancelled_unregistered"]
    assert rows.count("users") == users_before
    assert rows("SELECT * FROM sessions WHERE platform_id = 'new-cancel'") == []
    await worker.say("Rudi")
    assert worker.keys == ["registration.welcome"]
