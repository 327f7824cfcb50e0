"""Engine guarantees: dedupe, per-user ordering, restart, forged tokens, expiry, strange input."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.app.demo import FISHERMEN_CODE
from bot.base.settings import Settings
from bot.base.texts import Texts
from bot.core.commands import parse as parse_command
from bot.core.engine import Engine
from bot.storage.database import Database
from content.knowledge import Knowledge
from handlers import CONVERSATIONS
from tests.conftest import FakeClock, Person, RowCounter, person


async def test_same_inbound_id_twice_is_handled_once(engine: Engine, rows: RowCounter) -> None:
    """A redelivered message gets no second answer and changes nothing."""
    worker = Person(engine, "dup")
    await worker.say("/start")
    first = await engine.handle(worker.inbound(message_id="m-42", choice="lang:id"))
    assert [r.key for r in first] == ["registration.consent"]
    sessions = rows("SELECT step, updated_at FROM sessions WHERE platform_id = 'dup'")
    again = await engine.handle(worker.inbound(message_id="m-42", choice="lang:id"))
    assert again == []
    assert rows("SELECT step, updated_at FROM sessions WHERE platform_id = 'dup'") == sessions


async def test_concurrent_inbounds_of_one_user_are_serialised(
    engine: Engine, rows: RowCounter
) -> None:
    """Two quick messages are handled in order, the second seeing what the first stored."""
    worker = Person(engine, "quick")
    await worker.say("/start")
    await worker.tap("lang:id")
    await worker.tap("consent:yes")
    await worker.say("Wati")
    phone, code = worker.inbound(text="081299998888"), worker.inbound(text=FISHERMEN_CODE)
    first, second = await asyncio.gather(engine.handle(phone), engine.handle(code))
    assert [r.key for r in first] == ["registration.ask_code"]
    assert [r.key for r in second] == ["registration.done", "menu.title"]
    assert rows("SELECT name, phone FROM users WHERE platform_id = 'quick'") == [
        ("Wati", "+6281299998888")
    ]


async def test_many_users_at_once_do_not_mix_their_sessions(
    engine: Engine, rows: RowCounter
) -> None:
    people = [Person(engine, f"crowd-{n}") for n in range(20)]
    await asyncio.gather(*(p.register(name=f"Orang {chr(65 + n)}") for n, p in enumerate(people)))
    names = rows("SELECT platform_id, name FROM users WHERE platform_id LIKE 'crowd-%'")
    assert sorted(names) == sorted((f"crowd-{n}", f"Orang {chr(65 + n)}") for n in range(20))


async def test_a_new_engine_on_the_same_database_resumes_a_half_finished_flow(
    database_target: Path | str,
    database: Database,
    texts: Texts,
    clock: FakeClock,
    rows: RowCounter,
    knowledge: Knowledge,
) -> None:
    """After a restart the person continues exactly where they were."""
    settings = Settings(data_dir=Path("/nonexistent"))
    worker = Person(
        Engine(database, texts, settings, knowledge, CONVERSATIONS, clock=clock), "restart"
    )
    await worker.say("/start")
    await worker.tap("lang:en")
    await worker.tap("consent:yes")
    await worker.say("Yusuf")
    await database.close()

    reopened = await Database.open(database_target)
    try:
        worker.engine = Engine(reopened, texts, settings, knowledge, CONVERSATIONS, clock=clock)
        await worker.say("skip")
        await worker.say(FISHERMEN_CODE)
        assert worker.keys == ["registration.done", "menu.title"]
        assert "Thank you, Yusuf" in worker.last[0].text
    finally:
        await reopened.close()
    assert rows("SELECT name, language FROM users WHERE platform_id = 'restart'") == [
        ("Yusuf", "en")
    ]


async def test_forged_choice_token_is_rejected_and_changes_nothing(
    engine: Engine, rows: RowCounter
) -> None:
    """A token that was never offered to this person is refused; the question is asked again."""
    worker = Person(engine, "forger")
    await worker.say("/start")
    await worker.tap("lang:id")
    before = rows("SELECT flow, step, draft FROM sessions WHERE platform_id = 'forger'")
    await worker.tap("cmd:daftargrup")
    assert worker.keys == ["common.choice_not_offered", "registration.consent"]
    assert rows("SELECT flow, step, draft FROM sessions WHERE platform_id = 'forger'") == before


async def test_worker_cannot_reach_officer_view_with_a_forged_menu_token(engine: Engine) -> None:
    worker = Person(engine, "forger-2")
    await worker.register()
    await worker.tap("cmd:daftargrup")
    assert worker.keys == ["common.choice_not_offered", "menu.title"]


async def test_a_stale_conversation_expires_politely(engine: Engine, clock: FakeClock) -> None:
    worker = Person(engine, "slow")
    await worker.register()
    await worker.say("/grup")
    assert worker.keys == ["group.current"]
    clock.advance(hours=25)
    await worker.say("1")
    assert worker.keys[0] == "session.expired"
    assert worker.keys[-1] == "menu.title"


async def test_cancel_mid_flow_returns_to_the_menu(engine: Engine, rows: RowCounter) -> None:
    worker = Person(engine, "canceller")
    await worker.register()
    await worker.say("/grup")
    await worker.tap("group:leave")
    assert worker.keys == ["group.confirm_leave"]
    await worker.say("/batal")
    assert worker.keys == ["common.cancelled", "menu.title"]
    memberships = rows(
        "SELECT COUNT(*) FROM memberships JOIN users ON users.id = memberships.user_id"
        " WHERE platform_id = 'canceller' AND left_at IS NULL"
    )
    assert memberships == [(1,)]


async def test_control_characters_and_empty_text_are_harmless(engine: Engine) -> None:
    worker = Person(engine, "odd")
    await worker.register()
    await worker.say("\x00\x07\x1b[31m")
    assert worker.keys == ["first_aid.not_found", "browse.categories"]
    await worker.say("\x00\x07")
    assert worker.keys == ["common.pick_option", "browse.categories"]


def test_text_longer_than_any_platform_allows_is_refused_at_the_boundary(engine: Engine) -> None:
    worker = Person(engine, "huge")
    with pytest.raises(ValidationError):
        worker.inbound(text="a" * 5000)
    with pytest.raises(ValidationError):
        worker.inbound(choice="x" * 65)
    with pytest.raises(ValidationError):
        worker.inbound(text="hi", choice="cmd:grup")


async def test_unknown_command_is_explained(engine: Engine) -> None:
    worker = Person(engine, "unknown-cmd")
    await worker.register()
    await worker.say("/terbang")
    assert worker.keys == ["common.unknown_command", "menu.title"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/start ABC123", ("start", "ABC123")),
        ("/START@PosUkkBot", ("start", "")),
        ("/help", ("bantuan", "")),
        ("Batal", ("batal", "")),
        ("menu", ("menu", "")),
        ("menu apa saja", None),
        ("luka kena parang", None),
    ],
)
def test_parse_command(text: str, expected: tuple[str, str] | None) -> None:
    assert parse_command(text) == expected


async def test_a_stored_draft_the_flow_no_longer_knows_starts_over_politely(
    engine: Engine, rows: RowCounter
) -> None:
    """A session stored by an older version (a draft field renamed since) does not crash: the
    person is told and is back at the menu."""
    budi = person(engine, "budi")
    await budi.say("/lapor")
    assert budi.keys == ["report.ask_who"]
    rows("UPDATE sessions SET draft = '{\"whom\": \"self\"}' WHERE platform_id = 'demo:budi'")
    await budi.tap("rep:who:self")
    assert budi.keys == ["session.restarted", "menu.title"]
    assert rows("SELECT flow, draft FROM sessions WHERE platform_id = 'demo:budi'") == [
        ("menu", "{}")
    ]


async def test_a_draft_keeps_what_was_answered_even_as_nothing(
    engine: Engine, rows: RowCounter
) -> None:
    """An answer of "none" (no photo, age unknown) is stored as given, so a correction from the
    summary does not ask it again; a question never asked is not stored at all."""
    budi = person(engine, "budi")
    await budi.say("/lapor")
    await budi.tap("rep:who:other")
    await budi.say("Pak Udin")
    await budi.tap("rep:sex:L")
    await budi.tap("rep:age:unknown")
    (stored,) = rows("SELECT draft FROM sessions WHERE platform_id = 'demo:budi'")[0]
    assert json.loads(str(stored)) == {"who": "other", "known": [], "victim_name": "Pak Udin",
                                       "sex": "L", "age": None}  # fmt: skip
