"""/sos from anywhere: alerts the kader and officers at once, then resumes what was interrupted."""

from __future__ import annotations

from bot.core.engine import Engine
from tests.conftest import Person, RowCounter, person


def sos_recipients(rows: RowCounter) -> list[tuple[object, ...]]:
    return rows(
        "SELECT users.name, outbox.urgent FROM outbox JOIN users ON users.id = outbox.user_id"
        " WHERE outbox.kind = 'sos' ORDER BY users.name"
    )


async def test_sos_with_a_typed_place_alerts_kader_and_officer(
    engine: Engine, rows: RowCounter
) -> None:
    budi = person(engine, "budi")
    await budi.say("/sos")
    assert budi.keys == ["sos.ask_place"]
    assert budi.last[0].request == "location"
    await budi.say("dermaga bontang kuala")
    assert budi.keys == ["sos.sent", "emergency.card", "menu.title"]
    assert sos_recipients(rows) == [("Bu Sari", 1), ("Pak Andi", 1)]
    payloads = rows("SELECT payload FROM outbox WHERE kind = 'sos'")
    assert all("dermaga bontang kuala" in str(p[0]) for p in payloads)


async def test_sos_with_a_shared_location(engine: Engine, rows: RowCounter) -> None:
    budi = person(engine, "budi")
    await budi.say("/sos")
    budi.last = await engine.handle(budi.inbound(location={"latitude": 0.1357, "longitude": 117.5}))
    assert budi.keys[0] == "sos.sent"
    assert "0.13570,117.50000" in str(rows("SELECT payload FROM outbox WHERE kind = 'sos'")[0][0])


async def test_sos_mid_flow_resumes_the_interrupted_question(
    engine: Engine, rows: RowCounter
) -> None:
    worker = Person(engine, "sos-mid")
    await worker.register(code=None)
    await worker.say("/grup")
    await worker.tap("group:join")
    assert worker.keys == ["group.ask_code"]
    await worker.say("/sos")
    await worker.tap("sos:skip")
    assert worker.keys == ["sos.no_one", "emergency.card", "group.ask_code"]


async def test_sos_from_someone_not_registered_shows_the_numbers_and_keeps_registration(
    engine: Engine, rows: RowCounter
) -> None:
    stranger = Person(engine, "sos-stranger")
    await stranger.say("/start")
    await stranger.tap("lang:id")
    await stranger.say("/sos")
    assert stranger.keys == ["emergency.card", "registration.consent"]
    assert sos_recipients(rows) == []
