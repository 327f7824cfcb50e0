"""`posukk db copy --to postgresql://...` as typed: the demo database with a conversation in
it moves into an empty PostgreSQL database whole, and the bot carries on there."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.app.demo import seed_demo
from bot.base.settings import Settings
from bot.base.texts import Texts
from bot.core.engine import Engine
from bot.storage.database import Database
from content.knowledge import Knowledge
from handlers import CONVERSATIONS
from tests.bot.app.test_logsafe import bare_root_logger
from tests.conftest import SCRIPTED_PACE, FakeClock, Person, RowCounter
from tests.postgres import PostgresServer

pytestmark = pytest.mark.postgresql_only(reason="copies into the run's PostgreSQL server")


def posukk_db(*args: str) -> int:
    from bot.app.cli import main

    with bare_root_logger():
        return main(["db", *args])


async def register(target: Path | str, name: str, folder: Path, knowledge: Knowledge) -> None:
    """Someone new registers through the engine (the demo is seeded first if it is not there)."""
    database = await Database.open(target)
    try:
        await seed_demo(database, FakeClock()())
        settings = Settings(data_dir=folder, inbound_per_minute=SCRIPTED_PACE)
        engine = Engine(
            database, Texts.load(), settings, knowledge, CONVERSATIONS, clock=FakeClock()
        )
        await Person(engine, f"t:{name.lower()}").register(name)
    finally:
        await database.close()


async def demo_only(path: Path) -> None:
    database = await Database.open(path)
    await seed_demo(database, FakeClock()())
    await database.close()


def test_the_demo_moves_whole_and_the_bot_carries_on_there(
    tmp_path: Path,
    postgres_server: PostgresServer,
    knowledge: Knowledge,
    capsys: pytest.CaptureFixture[str],
) -> None:
    source = tmp_path / "posukk.sqlite3"
    asyncio.run(register(source, "Rudi", tmp_path, knowledge))
    target = postgres_server.database()
    file, copy = RowCounter(source), RowCounter(target)

    assert posukk_db("--db", str(source), "copy", "--to", target) == 0
    assert "every table's count matches" in capsys.readouterr().out
    tables = [t for t in file.tables() if t != "schema_version"]
    assert {t: copy.count(t) for t in tables} == {t: file.count(t) for t in tables}
    assert copy.count("users") == 5
    assert copy("SELECT name FROM users ORDER BY id") == file("SELECT name FROM users ORDER BY id")

    asyncio.run(register(target, "Wati", tmp_path, knowledge))  # ids go on after the copied
    assert copy("SELECT id FROM users WHERE name = 'Wati'") == [(6,)]


def test_a_target_with_rows_is_refused_and_left_as_it_was(
    tmp_path: Path, postgres_server: PostgresServer, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "posukk.sqlite3"
    asyncio.run(demo_only(source))
    target = postgres_server.database()
    assert posukk_db("--db", str(source), "copy", "--to", target) == 0
    before = RowCounter(target).count("users")
    assert posukk_db("--db", str(source), "copy", "--to", target) == 2
    assert "is not empty (" in capsys.readouterr().err
    assert RowCounter(target).count("users") == before


def test_only_a_sqlite_file_that_exists_is_copied(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nowhere.sqlite3"
    assert posukk_db("--db", str(missing), "copy", "--to", "postgresql://x@127.0.0.1/y") == 2
    assert "no database at" in capsys.readouterr().err
    assert not missing.exists()
