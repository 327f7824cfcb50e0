"""A worker's group: switching, leaving, joining from a link, and what kader may not do."""

from __future__ import annotations

from bot.app.demo import FISHERMEN_CODE, PLANTATION_CODE
from bot.base.models import Channel
from bot.core.engine import Engine
from bot.storage.database import Database
from bot.storage.records import Role
from tests.conftest import START, Person, RowCounter, person


def active_group(rows: RowCounter, ref: str) -> list[tuple[object, ...]]:
    return rows(
        "SELECT pos_groups.join_code FROM memberships"
        " JOIN users ON users.id = memberships.user_id"
        " JOIN pos_groups ON pos_groups.id = memberships.group_id"
        " WHERE users.platform_id = ? AND memberships.left_at IS NULL",
        ref,
    )


async def test_switch_group_with_a_code_alerts_the_new_kader(
    engine: Engine, rows: RowCounter
) -> None:
    worker = Person(engine, "mover")
    await worker.register()
    await worker.say("/grup")
    await worker.say("pindah grup")
    assert worker.keys == ["group.ask_code"]
    await worker.say("bru-4sw")
    assert worker.keys == ["group.joined", "menu.title"]
    assert active_group(rows, "mover") == [(PLANTATION_CODE,)]
    recipients = rows(
        "SELECT users.name FROM outbox JOIN users ON users.id = outbox.user_id ORDER BY outbox.id"
    )
    assert recipients == [("Bu Sari",), ("Pak Rahmat",)]


async def test_every_kader_of_the_group_hears_of_a_new_member(
    engine: Engine, database: Database, rows: RowCounter
) -> None:
    async with database.unit_of_work() as uow:
        group = await uow.groups.by_code(FISHERMEN_CODE)
        budi = await uow.users.by_platform(Channel.TERMINAL, "demo:budi")
        assert group is not None
        assert budi is not None
        await uow.roles.grant(
            user_id=budi.id, role=Role.KADER, group_id=group.id, granted_by="test", now=START
        )
    worker = Person(engine, "joiner")
    await worker.register()
    recipients = rows(
        "SELECT users.name FROM outbox JOIN users ON users.id = outbox.user_id ORDER BY users.name"
    )
    assert recipients == [("Bu Sari",), ("Budi",)]


async def test_leave_group_after_confirmation(engine: Engine, rows: RowCounter) -> None:
    worker = Person(engine, "leaver")
    await worker.register()
    await worker.say("/grup")
    await worker.tap("group:leave")
    await worker.say("ya")
    assert worker.keys == ["group.left", "menu.title"]
    assert active_group(rows, "leaver") == []


async def test_kader_cannot_leave_their_own_group(engine: Engine, rows: RowCounter) -> None:
    sari = person(engine, "sari")
    await sari.say("/grup")
    await sari.tap("group:leave")
    assert sari.keys == ["group.kader_stays", "menu.title"]
    assert active_group(rows, "demo:sari") == [(FISHERMEN_CODE,)]


async def test_registered_person_opening_a_join_link_is_asked_first(
    engine: Engine, rows: RowCounter
) -> None:
    budi = person(engine, "budi")
    await budi.say(f"/start {PLANTATION_CODE}")
    assert budi.keys == ["group.confirm_join"]
    await budi.say("tidak")
    assert budi.keys == ["common.cancelled", "menu.title"]
    assert active_group(rows, "demo:budi") == [(FISHERMEN_CODE,)]
    await budi.say(f"/start {PLANTATION_CODE}")
    await budi.tap("join:yes")
    assert budi.keys == ["group.joined", "menu.title"]
    assert active_group(rows, "demo:budi") == [(PLANTATION_CODE,)]


async def test_joining_the_same_group_again_changes_nothing(
    engine: Engine, rows: RowCounter
) -> None:
    budi = person(engine, "budi")
    await budi.say(f"/start {FISHERMEN_CODE}")
    assert budi.keys == ["group.already_member", "menu.title"]
    assert rows.count("outbox") == 0
