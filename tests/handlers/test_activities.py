"""Scheduling activities by chat: kader add them, members see what is coming."""

from __future__ import annotations

from bot.core.engine import Engine
from tests.conftest import FakeClock, RowCounter, person


async def add_weekly_meeting(engine: Engine) -> list[str]:
    """Bu Sari adds a weekly meeting, answering one question at a time; returns the reply keys."""
    sari = person(engine, "sari")
    await sari.say("/kegiatan")
    assert "act:new" in sari.tokens
    await sari.tap("act:new")
    assert sari.keys == ["activity.ask_kind"]
    await sari.say("1")
    await sari.tap("act:title:kind")
    await sari.say("balai desa")
    assert sari.keys == ["activity.ask_when"]
    await sari.say("besok")
    assert sari.keys == ["activity.when_no_time", "activity.ask_when"]
    await sari.say("31/2 jam 8")
    assert sari.keys == ["activity.when_invalid", "activity.ask_when"]
    await sari.say("besok jam 8")
    assert sari.keys == ["activity.ask_repeat"]
    assert "Tiap Selasa" in [c.label for c in sari.last[0].choices]
    await sari.say("Tiap Selasa")
    await sari.tap("act:a:all")
    assert sari.keys == ["activity.confirm"]
    summary = sari.last[0].text
    await sari.say("simpan")
    return [summary, *sari.keys]


async def test_kader_adds_a_weekly_meeting_repeated_back_before_saving(
    engine: Engine, rows: RowCounter
) -> None:
    summary, *keys = await add_weekly_meeting(engine)
    assert "Selasa 24-11-2026 08:00 WITA" in summary
    assert "Pertemuan rutin, grup Nelayan Bontang Kuala" in summary
    assert keys == ["activity.saved", "menu.title"]
    assert rows("SELECT title, place, first_at, repeat, audience FROM activities") == [
        ("Pertemuan rutin", "balai desa", "2026-11-24T00:00:00+00:00", "weekly", "all")
    ]
    assert rows("SELECT action FROM audit_log") == [("create-activity",)]


async def test_members_see_the_coming_occurrences(engine: Engine, clock: FakeClock) -> None:
    await add_weekly_meeting(engine)
    budi = person(engine, "budi")
    await budi.say("/kegiatan")
    listing = budi.last[0].text
    assert listing.count("Pertemuan rutin") == 5  # Tuesdays from 24 Nov to 22 Dec, within 31 days
    assert "Selasa 01-12-2026 08:00 WITA" in listing
    assert budi.tokens == ["act:back"], "workers cannot add activities"


async def test_a_worker_cannot_add_an_activity_even_with_a_forged_token(engine: Engine) -> None:
    budi = person(engine, "budi")
    await budi.say("/kegiatan")
    await budi.tap("act:new")
    assert budi.keys == ["common.choice_not_offered", "activity.overview"]


async def test_officer_chooses_among_the_groups_in_scope(engine: Engine, rows: RowCounter) -> None:
    andi = person(engine, "andi")
    await andi.say("/kegiatan")
    await andi.tap("act:new")
    assert andi.keys == ["activity.ask_group"]
    assert len(andi.tokens) == 2
    await andi.say("BRU4SW")
    assert andi.keys == ["activity.ask_kind"]
    await andi.tap("act:k:penyuluhan")
    await andi.say("Bahaya pestisida")
    await andi.say("pondok blok 12")
    await andi.say("10/12 09.00")
    await andi.tap("act:r:once")
    await andi.tap("act:a:kader")
    await andi.tap("act:save:yes")
    assert andi.keys == ["activity.saved", "menu.title"]
    saved = rows(
        "SELECT pos_groups.join_code, activities.title, activities.audience FROM activities"
        " JOIN pos_groups ON pos_groups.id = activities.group_id"
    )
    assert saved == [("BRU4SW", "Bahaya pestisida", "kader")]
