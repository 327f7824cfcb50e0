"""Storage: migrations, pragmas, and a unit of work that commits or rolls back as one."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.base import keys
from bot.base.models import Channel
from bot.storage.database import Database
from bot.storage.groups import JOIN_CODE_ALPHABET, new_join_code, normalise_join_code
from tests.conftest import START, RowCounter

ROOT = Path(__file__).resolve().parents[3]


async def test_migrations_apply_once_and_pragmas_are_set(tmp_path: Path) -> None:
    path = tmp_path / "fresh.sqlite3"
    database = await Database.open(path)
    assert await database.migrate() == []
    await database.close()
    rows = RowCounter(path)
    files = sorted((ROOT / "bot" / "storage" / "migrations").glob("*.sql"))
    expected = [(int(path.name.split("_")[0]),) for path in files]
    assert rows("SELECT version FROM schema_version ORDER BY version") == expected
    assert rows("PRAGMA journal_mode") == [("wal",)]


async def test_unit_of_work_rolls_back_everything_on_error(
    database: Database, rows: RowCounter
) -> None:
    users_before = rows.count("users")

    async def crash_after_insert() -> None:
        async with database.unit_of_work() as uow:
            await uow.users.create(
                channel=Channel.TERMINAL,
                platform_id="ghost",
                name="Ghost",
                language="id",
                consent_version="x",
                now=START,
            )
            raise RuntimeError("crash mid-transaction")

    with pytest.raises(RuntimeError):
        await crash_after_insert()
    assert rows.count("users") == users_before


async def test_foreign_keys_are_enforced(database: Database) -> None:
    import sqlite3

    import psycopg

    with pytest.raises((sqlite3.IntegrityError, psycopg.IntegrityError)):
        async with database.unit_of_work() as uow:
            await uow.memberships.join(user_id=9999, group_id=9999, now=START)


KEY = keys.queued_reply("test", "k", 0)


async def test_outbox_dedupe_key_keeps_one_row(database: Database, rows: RowCounter) -> None:
    async with database.unit_of_work() as uow:
        user = await uow.users.by_platform(Channel.TERMINAL, "demo:sari")
        assert user is not None
        first = await uow.outbox.enqueue(
            user_id=user.id, kind="t", payload="{}", dedupe_key=KEY, now=START
        )
        second = await uow.outbox.enqueue(
            user_id=user.id, kind="t", payload="{}", dedupe_key=KEY, now=START
        )
    assert (first, second) == (True, False)
    assert rows.count("outbox") == 1


def test_join_codes_avoid_ambiguous_characters() -> None:
    for _ in range(200):
        code = new_join_code()
        assert len(code) == 6
        assert set(code) <= set(JOIN_CODE_ALPHABET)
    assert normalise_join_code(" btg-7k2 ") == "BTG7K2"


@pytest.mark.sqlite_only(reason="SQLite rebuilds the outbox in migration 10; PostgreSQL alters it")
async def test_group_chat_migration_keeps_every_outbox_row(tmp_path: Path) -> None:
    """A database from before group chats (migrations 1-9) upgrades with its outbox intact."""
    import sqlite3

    path = tmp_path / "old.sqlite3"
    old = sqlite3.connect(path)
    old.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TEXT)")
    for file in sorted((ROOT / "bot" / "storage" / "migrations").glob("*.sql")):
        version = int(file.name.split("_")[0])
        if version < 10:
            old.executescript(file.read_text(encoding="utf-8"))
            old.execute("INSERT INTO schema_version VALUES (?, 'then')", (version,))
    old.execute(
        "INSERT INTO users (id, channel, platform_id, name, language, consent_version,"
        " consent_at, created_at, last_seen_at) VALUES (1, 'telegram', '5', 'Rudi', 'id', 'v1',"
        " 'then', 'then', 'then')"
    )
    old.executemany(
        "INSERT INTO outbox (id, user_id, kind, payload, dedupe_key, not_before, created_at,"
        " status, attempts, platform_message_id) VALUES (?, 1, 'alert', '{}', ?, 'then', 'then',"
        " ?, ?, ?)",
        [(7, "a", "pending", 0, None), (9, "b", "sent", 2, "42")],
    )
    old.commit()
    old.close()

    database = await Database.open(path)
    assert await database.migrate() == []
    await database.close()
    rows = RowCounter(path)
    assert rows(
        "SELECT id, user_id, group_chat_id, dedupe_key, status, attempts, platform_message_id"
        " FROM outbox ORDER BY id"
    ) == [(7, 1, None, "a", "pending", 0, None), (9, 1, None, "b", "sent", 2, "42")]
    indexes = {name for (name,) in rows("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert {"outbox_pending", "outbox_broadcast", "outbox_claim"} <= indexes
    check = sqlite3.connect(path)
    with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
        check.execute(
            "INSERT INTO outbox (kind, payload, dedupe_key, not_before, created_at)"
            " VALUES ('x', '{}', 'nobody', 'now', 'now')"
        )
    check.close()


async def test_staff_are_those_holding_a_role_on_one_channel(database: Database) -> None:
    """The demo: Bu Sari and Pak Rahmat (kader) and Pak Andi (officer) hold roles, Budi none."""
    async with database.unit_of_work() as uow:
        assert [u.name for u in await uow.users.staff(Channel.TERMINAL)] == [
            "Bu Sari", "Pak Rahmat", "Pak Andi"
        ]  # fmt: skip
        rahmat = await uow.users.by_platform(Channel.TERMINAL, "demo:rahmat")
        assert rahmat is not None
        for grant in await uow.roles.active(rahmat.id):
            await uow.roles.revoke(grant.id, START)
        assert [u.name for u in await uow.users.staff(Channel.TERMINAL)] == ["Bu Sari", "Pak Andi"]
        assert await uow.users.staff(Channel.TELEGRAM) == []
