"""Reminders: due ones queued exactly once, late ones dropped, and RSVP buttons that work later."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.base.clock import to_db
from bot.base.keys import rsvp as rsvp_token
from bot.base.texts import Texts
from bot.core.engine import Engine
from bot.storage.database import Database
from scheduler.reminders import DROPPED, Offset, forget_remind_times, materialise_reminders
from tests.conftest import (
    DAY_BEFORE,
    HOURS_BEFORE,
    MEETING,
    FakeClock,
    RowCounter,
    add_meeting,
    deliver,
    person,
)


def reminders(rows: RowCounter) -> list[tuple[object, ...]]:
    return rows(
        "SELECT users.name, outbox.dedupe_key FROM outbox JOIN users ON users.id = outbox.user_id"
        " WHERE outbox.kind = 'reminder' ORDER BY users.name, outbox.id"
    )


async def test_each_reminder_once_at_its_time(
    database: Database, texts: Texts, clock: FakeClock, rows: RowCounter
) -> None:
    await add_meeting(database, clock)
    assert await materialise_reminders(database, texts, clock()) == 0, "nothing due at 09:00"
    clock.now = DAY_BEFORE
    assert await materialise_reminders(database, texts, clock()) == 2  # Bu Sari and Budi
    assert await materialise_reminders(database, texts, clock()) == 0, "a second tick adds nothing"
    clock.now = HOURS_BEFORE
    assert await materialise_reminders(database, texts, clock()) == 2
    names = [name for name, _ in reminders(rows)]
    assert names == ["Bu Sari", "Bu Sari", "Budi", "Budi"]
    payload = json.loads(
        str(rows("SELECT payload FROM outbox WHERE kind = 'reminder' LIMIT 1")[0][0])
    )
    assert "Selasa 24-11-2026 08:00 WITA" in payload["text"]
    assert [c["label"] for c in payload["choices"]] == ["Hadir", "Tidak bisa"]


async def test_each_activity_keeps_when_its_next_reminder_falls_due(
    database: Database, texts: Texts, clock: FakeClock, rows: RowCounter
) -> None:
    """The minute's tick reads only the activities due (`remind_at`), not every activity."""
    await add_meeting(database, clock)
    assert rows("SELECT remind_at FROM activities") == [(None,)], "new: looked at next tick"
    await materialise_reminders(database, texts, clock())
    assert rows("SELECT remind_at FROM activities") == [(to_db(DAY_BEFORE),)]
    await materialise_reminders(database, texts, DAY_BEFORE)
    assert rows("SELECT remind_at FROM activities") == [(to_db(HOURS_BEFORE),)]
    await materialise_reminders(database, texts, HOURS_BEFORE)
    next_week = DAY_BEFORE + dt.timedelta(days=7)
    assert rows("SELECT remind_at FROM activities") == [(to_db(next_week),)]
    assert len(reminders(rows)) == 4


async def test_after_a_restart_changed_reminder_times_are_followed(
    database: Database, texts: Texts, clock: FakeClock, rows: RowCounter
) -> None:
    await add_meeting(database, clock)
    await materialise_reminders(database, texts, clock())  # next due: 17:00 the day before
    await forget_remind_times(database)  # the bot restarts with reminders 30 minutes before
    thirty = MEETING - dt.timedelta(minutes=30)
    assert await materialise_reminders(database, texts, clock(), "30m") == 0
    assert rows("SELECT remind_at FROM activities") == [(to_db(thirty),)]
    assert await materialise_reminders(database, texts, thirty, "30m") == 2


async def test_two_schedulers_racing_queue_each_reminder_once(
    database_target: Path | str,
    database: Database,
    texts: Texts,
    clock: FakeClock,
    rows: RowCounter,
) -> None:
    await add_meeting(database, clock)
    other = await Database.open(database_target)
    try:
        counts = await asyncio.gather(
            materialise_reminders(database, texts, DAY_BEFORE),
            materialise_reminders(other, texts, DAY_BEFORE),
        )
    finally:
        await other.close()
    assert sorted(counts) == [0, 2]
    assert len(reminders(rows)) == 2


async def test_after_downtime_due_reminders_go_and_late_ones_are_dropped(
    database: Database, texts: Texts, clock: FakeClock, rows: RowCounter
) -> None:
    await add_meeting(database, clock)
    # Down from before 17:00 Monday until 07:00 Tuesday: both reminders are still useful.
    assert await materialise_reminders(database, texts, MEETING - dt.timedelta(hours=1)) == 4
    # Down until after the meeting started: nothing for that occurrence, nothing for next week yet.
    assert await materialise_reminders(database, texts, MEETING + dt.timedelta(minutes=30)) == 0


async def test_reminders_missed_while_down_are_recorded_and_logged_once(
    database: Database,
    texts: Texts,
    clock: FakeClock,
    rows: RowCounter,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await add_meeting(database, clock)
    # Down from Monday morning until after Tuesday's meeting started: both reminders missed.
    late = MEETING + dt.timedelta(minutes=30)
    with caplog.at_level(logging.WARNING, logger="scheduler.reminders"):
        assert await materialise_reminders(database, texts, late) == 0
        assert await materialise_reminders(database, texts, late + dt.timedelta(minutes=1)) == 0
    dropped = rows(
        "SELECT users.name, outbox.status, outbox.last_error FROM outbox"
        " JOIN users ON users.id = outbox.user_id WHERE outbox.kind = 'reminder' ORDER BY 1"
    )
    assert dropped == [("Bu Sari", "failed", DROPPED)] * 2 + [("Budi", "failed", DROPPED)] * 2
    logged = [r.getMessage() for r in caplog.records if "reminder dropped" in r.getMessage()]
    assert len(logged) == 4, "each missed reminder is logged once, not on every tick"


async def test_kader_only_activities_remind_only_kader(
    database: Database, texts: Texts, clock: FakeClock, rows: RowCounter
) -> None:
    await add_meeting(database, clock, audience="kader")
    await materialise_reminders(database, texts, DAY_BEFORE)
    assert [name for name, _ in reminders(rows)] == ["Bu Sari"]


async def test_rsvp_buttons_work_from_any_conversation_until_the_start(
    engine: Engine, database: Database, texts: Texts, clock: FakeClock, rows: RowCounter
) -> None:
    activity_id = await add_meeting(database, clock)
    clock.now = DAY_BEFORE
    await materialise_reminders(database, texts, clock())
    budi = person(engine, "budi")
    await budi.say("/grup")  # in the middle of something else
    await budi.tap(rsvp_token(activity_id, MEETING, "yes"))
    assert budi.keys == ["rsvp.thanks_yes", "group.current"], "answered, and the question stands"
    await budi.tap(rsvp_token(activity_id, MEETING, "no"))
    assert rows("SELECT answer FROM rsvps") == [("no",)], "the latest answer counts"
    sari = person(engine, "sari")
    await sari.say("/kegiatan")
    assert "Selasa 24-11-2026 08:00 WITA: Pertemuan rutin (balai desa) - hadir 0, tidak bisa 1" in (
        sari.last[0].text
    )
    await budi.tap(rsvp_token(activity_id + 1, MEETING, "yes"))
    assert budi.keys[0] == "common.choice_not_offered", "a token never sent to Budi"
    clock.now = MEETING + dt.timedelta(minutes=1)
    await budi.tap(rsvp_token(activity_id, MEETING, "yes"))
    assert budi.keys[0] == "common.choice_not_offered", "the buttons expire when it starts"
    assert rows("SELECT answer FROM rsvps") == [("no",)]


async def test_typing_hadir_answers_the_latest_reminder(
    engine: Engine, database: Database, texts: Texts, clock: FakeClock, rows: RowCounter
) -> None:
    budi = person(engine, "budi")
    await budi.say("hadir")
    assert budi.keys[0] != "rsvp.thanks_yes", "no reminder yet: not an answer to anything"
    await add_meeting(database, clock)
    clock.now = DAY_BEFORE
    await materialise_reminders(database, texts, clock())
    await budi.say("menu")
    await budi.say("Hadir")
    assert budi.keys == ["rsvp.thanks_yes", "menu.title"]
    await budi.say("gak bisa")
    assert budi.keys == ["rsvp.thanks_no", "menu.title"]
    assert rows("SELECT answer FROM rsvps") == [("no",)]


async def test_a_number_typed_after_a_reminder_answers_the_reminder_wherever_one_is(
    engine: Engine, database: Database, texts: Texts, clock: FakeClock, rows: RowCounter
) -> None:
    await add_meeting(database, clock)
    budi, sari = person(engine, "budi"), person(engine, "sari")
    await budi.say("/p3k")
    await sari.say("menu")
    clock.now = DAY_BEFORE
    await materialise_reminders(database, texts, clock())
    assert len(await deliver(database, clock)) == 2
    clock.advance(minutes=1)
    await budi.say("1")
    assert budi.keys == ["rsvp.thanks_yes", "browse.categories"], "the /p3k question stands"
    assert budi.last[0].text.startswith("Tercatat: Hadir di Pertemuan rutin")
    await budi.say("1")
    assert budi.keys == ["browse.topics"], "the conversation spoke last: its first row"
    await sari.say("2")
    assert sari.keys == ["rsvp.thanks_no", "menu.title"], "not the SOS of the menu"
    assert rows("SELECT answer FROM rsvps ORDER BY user_id") == [("no",), ("yes",)]


async def test_words_typed_after_a_reminder_answer_it_unless_they_name_none_of_its_choices(
    engine: Engine, database: Database, texts: Texts, clock: FakeClock, rows: RowCounter
) -> None:
    await add_meeting(database, clock)
    budi = person(engine, "budi")
    await budi.say("/p3k")
    clock.now = DAY_BEFORE
    await materialise_reminders(database, texts, clock())
    await deliver(database, clock)
    clock.advance(minutes=1)
    await budi.say("tangan kena pisau")
    assert "rsvp.thanks_yes" not in budi.keys, "an injury is no answer to a reminder"
    assert rows("SELECT COUNT(*) FROM rsvps") == [(0,)]
    await budi.say("/p3k")
    clock.now = HOURS_BEFORE
    await materialise_reminders(database, texts, clock())
    await deliver(database, clock)
    clock.advance(minutes=1)
    await budi.say("hadir")
    assert budi.keys == ["rsvp.thanks_yes", "browse.categories"], "typed words, inside /p3k"
    await budi.say("/p3k")
    await budi.say("tidak bisa")
    assert rows("SELECT answer FROM rsvps") == [("yes",)], "the reminder came before the /p3k"


async def test_a_number_after_an_expired_reminder_goes_to_the_conversation(
    engine: Engine, database: Database, texts: Texts, clock: FakeClock, rows: RowCounter
) -> None:
    await add_meeting(database, clock)
    budi = person(engine, "budi")
    await budi.say("/p3k")
    clock.now = DAY_BEFORE
    await materialise_reminders(database, texts, clock())
    await deliver(database, clock)
    clock.now = MEETING + dt.timedelta(minutes=1)  # the buttons expired when it started
    await budi.say("1")
    assert "rsvp.thanks_yes" not in budi.keys
    assert rows("SELECT COUNT(*) FROM rsvps") == [(0,)]


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("1d@17:00", DAY_BEFORE),
        ("2h", HOURS_BEFORE),
        ("30m", MEETING - dt.timedelta(minutes=30)),
        ("3d@08:00", dt.datetime(2026, 11, 21, 0, 0, tzinfo=dt.UTC)),  # Saturday 08:00 WITA
    ],
)
def test_reminder_offsets(spec: str, expected: dt.datetime) -> None:
    (offset,) = Offset.parse_all(spec)
    assert offset.remind_at(MEETING.astimezone(ZoneInfo("Asia/Makassar"))) == expected


@pytest.mark.parametrize("spec", ["", "1x", "d@17:00", "1d", "2h,,junk"])
def test_bad_offsets_are_refused(spec: str) -> None:
    with pytest.raises(ValueError, match="reminder offsets"):
        Offset.parse_all(spec)


async def test_configured_offsets_are_used(
    database: Database, texts: Texts, clock: FakeClock, rows: RowCounter
) -> None:
    await add_meeting(database, clock)
    offsets = "3d@08:00,30m"
    assert await materialise_reminders(database, texts, DAY_BEFORE, offsets) == 2, "3 days ahead"
    assert await materialise_reminders(database, texts, HOURS_BEFORE, offsets) == 0
    thirty = MEETING - dt.timedelta(minutes=30)
    assert await materialise_reminders(database, texts, thirty, offsets) == 2
