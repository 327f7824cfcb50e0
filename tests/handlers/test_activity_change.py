"""Changing or cancelling an activity (`activity_change`): who was already reminded is told, and
the reminders still queued follow the change."""

from __future__ import annotations

import datetime as dt

from bot.base.models import Channel
from bot.base.texts import Texts
from bot.core.engine import Engine
from bot.storage.database import Database
from scheduler.delivery import OutboxDelivery
from scheduler.pacing import RateLimit
from scheduler.reminders import materialise_reminders
from tests.conftest import (
    DAY_BEFORE,
    HOURS_BEFORE,
    ZONE,
    FakeClock,
    RowCounter,
    add_meeting,
    person,
)
from tests.fakes.senders import ScriptedSender
from tests.scheduler.test_reminders import reminders


async def reminded_at_day_before(
    database: Database, texts: Texts, clock: FakeClock
) -> list[tuple[str, str]]:
    """The meeting exists and its day-before reminders were delivered; returns the deliveries."""
    await add_meeting(database, clock)
    clock.now = DAY_BEFORE
    await materialise_reminders(database, texts, clock())
    sender = ScriptedSender()
    limits = {Channel.TERMINAL: RateLimit(per_second=10_000)}
    await OutboxDelivery(
        database, {Channel.TERMINAL: sender}, limits, clock=clock, default_timezone=ZONE
    ).deliver_all()
    clock.advance(minutes=1)  # read, then the kader goes on: her words answer her own questions
    return sender.delivered


async def test_cancelling_stops_reminders_and_tells_those_already_reminded(
    engine: Engine, database: Database, texts: Texts, clock: FakeClock, rows: RowCounter
) -> None:
    assert len(await reminded_at_day_before(database, texts, clock)) == 2
    sari = person(engine, "sari")
    await sari.say("/kegiatan")
    await sari.tap("act:cancel")
    assert sari.keys == ["activity.ask_cancel"]
    await sari.say("1")
    await sari.say("ya")
    assert sari.keys == ["activity.cancelled", "menu.title"]
    notices = rows(
        "SELECT users.name FROM outbox JOIN users ON users.id = outbox.user_id"
        " WHERE outbox.kind = 'activity_cancelled'"
    )
    assert notices == [("Budi",)], "the kader who cancelled is not told her own news"
    clock.now = HOURS_BEFORE
    assert await materialise_reminders(database, texts, clock()) == 0
    assert rows("SELECT action FROM audit_log WHERE action = 'cancel-activity'") == [
        ("cancel-activity",)
    ]


async def test_moving_an_activity_tells_those_reminded_and_reminds_for_the_new_time(
    engine: Engine, database: Database, texts: Texts, clock: FakeClock, rows: RowCounter
) -> None:
    await reminded_at_day_before(database, texts, clock)
    sari = person(engine, "sari")
    await sari.say("/kegiatan")
    await sari.tap("act:edit")
    assert sari.keys == ["activity.ask_edit"]
    await sari.say("1")
    assert sari.keys == ["activity.ask_field"]
    await sari.say("hari dan jam")
    assert sari.keys == ["activity.ask_new_when"]
    await sari.say("23/11 jam 8")
    assert sari.keys == ["activity.when_past", "activity.ask_new_when"], "re-asked, choice kept"
    await sari.say("kamis jam 16")
    assert sari.keys == ["activity.confirm_edit"]
    assert "Kamis 26-11-2026 16:00 WITA" in sari.last[0].text
    await sari.say("ya")
    assert sari.keys == ["activity.changed", "menu.title"]
    notice = rows("SELECT payload FROM outbox WHERE kind = 'activity_changed'")
    assert len(notice) == 1
    assert "Kamis 26-11-2026 16:00 WITA" in str(notice[0][0])
    clock.now = HOURS_BEFORE
    assert await materialise_reminders(database, texts, clock()) == 0, (
        "no reminder for the old time"
    )
    clock.now = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)  # Wednesday 17:00 WITA
    assert await materialise_reminders(database, texts, clock()) == 2, "reminded for the new time"


async def test_renaming_tells_those_reminded_and_rewords_the_reminders_still_queued(
    engine: Engine, database: Database, texts: Texts, clock: FakeClock, rows: RowCounter
) -> None:
    await add_meeting(database, clock)
    clock.now = DAY_BEFORE
    await materialise_reminders(database, texts, clock())
    sender = ScriptedSender()
    limits = {Channel.TERMINAL: RateLimit(per_second=10_000)}
    delivery = OutboxDelivery(
        database, {Channel.TERMINAL: sender}, limits, clock=clock, default_timezone=ZONE
    )
    await delivery.deliver_all()
    clock.now = HOURS_BEFORE
    await materialise_reminders(database, texts, clock())  # queued, not delivered yet
    sari = person(engine, "sari")
    await sari.say("/kegiatan")
    await sari.tap("act:edit")
    await sari.say("1")
    await sari.tap("act:f:place")
    assert sari.keys == ["activity.ask_place"]
    await sari.say("x")
    assert sari.keys == ["activity.text_invalid", "activity.ask_place"]
    await sari.say("Balai   nelayan  RT 3")
    assert sari.keys == ["activity.confirm_edit"]
    assert "📍 Balai nelayan RT 3" in sari.last[0].text
    await sari.say("ya")
    assert sari.keys == ["activity.changed", "menu.title"]
    notices = rows(
        "SELECT users.name, outbox.payload FROM outbox JOIN users ON users.id = outbox.user_id"
        " WHERE outbox.kind = 'activity_changed'"
    )
    assert [name for name, _ in notices] == ["Budi"]
    assert "Balai nelayan RT 3" in str(notices[0][1])
    await materialise_reminders(database, texts, clock())
    pending = rows("SELECT payload FROM outbox WHERE kind = 'reminder' AND status = 'pending'")
    assert len(pending) == 2, "the 2-hour reminders are queued again, once each"
    assert all("Balai nelayan RT 3" in str(payload) for (payload,) in pending)


async def test_after_switching_to_kader_only_workers_get_no_more_reminders(
    engine: Engine, database: Database, texts: Texts, clock: FakeClock, rows: RowCounter
) -> None:
    await add_meeting(database, clock)
    sari = person(engine, "sari")
    await sari.say("/kegiatan")
    await sari.tap("act:edit")
    await sari.say("1")
    await sari.tap("act:f:audience")
    await sari.say("kader")
    assert sari.keys == ["activity.confirm_edit"]
    assert "👥 Kader saja" in sari.last[0].text
    await sari.tap("act:x:yes")
    assert rows("SELECT audience FROM activities") == [("kader",)]
    clock.now = DAY_BEFORE
    await materialise_reminders(database, texts, clock())
    assert [name for name, _ in reminders(rows)] == ["Bu Sari"]


async def test_workers_cannot_cancel(engine: Engine, database: Database, clock: FakeClock) -> None:
    await add_meeting(database, clock)
    budi = person(engine, "budi")
    await budi.say("/kegiatan")
    assert "act:cancel" not in budi.tokens
    await budi.tap("act:cancel")
    assert budi.keys[0] == "common.choice_not_offered"
