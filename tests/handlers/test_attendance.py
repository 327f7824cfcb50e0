"""After an activity the kader records it: held or not, who came (ticked by taps), a note."""

from __future__ import annotations

import datetime as dt

from bot.core.engine import Engine
from bot.storage.database import Database
from tests.conftest import MEETING, FakeClock, RowCounter, add_meeting, person


async def test_kader_records_who_came(
    engine: Engine, database: Database, clock: FakeClock, rows: RowCounter
) -> None:
    await add_meeting(database, clock)
    clock.now = MEETING + dt.timedelta(hours=3)
    budi_id = rows("SELECT id FROM users WHERE platform_id = 'demo:budi'")[0][0]
    sari_id = rows("SELECT id FROM users WHERE platform_id = 'demo:sari'")[0][0]
    sari = person(engine, "sari")
    await sari.say("/kegiatan")
    await sari.tap("act:record")
    assert sari.keys == ["attendance.ask_occurrence"]
    occurrence = next(t for t in sari.tokens if t.startswith("att:o:"))
    await sari.tap(occurrence)
    await sari.say("ya")
    assert sari.keys == ["attendance.ask_who"]
    await sari.tap(f"att:u:{budi_id}")
    await sari.tap(f"att:u:{sari_id}")
    await sari.tap(f"att:u:{sari_id}")  # untick
    assert "✅ Budi" in [c.label for c in sari.last[-1].choices]
    await sari.tap("att:done")
    await sari.say("bahas APD di kapal")
    assert sari.keys == ["attendance.saved", "menu.title"]
    assert "1 orang hadir" in sari.last[0].text
    assert rows("SELECT held, note FROM activity_records") == [(1, "bahas APD di kapal")]
    assert rows("SELECT user_id FROM attendance") == [(budi_id,)]
    await sari.say("/kegiatan")
    await sari.tap("act:record")
    assert sari.keys == ["attendance.nothing"], "a recorded occurrence is not offered again"


async def test_not_held_with_no_note(
    engine: Engine, database: Database, clock: FakeClock, rows: RowCounter
) -> None:
    await add_meeting(database, clock)
    clock.now = MEETING + dt.timedelta(hours=3)
    sari = person(engine, "sari")
    await sari.say("/kegiatan")
    await sari.tap("act:record")
    await sari.say("1")
    await sari.tap("att:held:no")
    assert sari.keys == ["attendance.ask_note"]
    await sari.say("Lewati")
    assert sari.keys == ["attendance.saved_not_held", "menu.title"]
    assert rows("SELECT held, note FROM activity_records") == [(0, "")]


async def test_workers_cannot_record(engine: Engine, database: Database, clock: FakeClock) -> None:
    await add_meeting(database, clock)
    clock.now = MEETING + dt.timedelta(hours=3)
    budi = person(engine, "budi")
    await budi.say("/kegiatan")
    assert "act:record" not in budi.tokens
    await budi.tap("act:record")
    assert budi.keys[0] == "common.choice_not_offered"
