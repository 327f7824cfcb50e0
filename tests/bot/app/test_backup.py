"""`posukk db backup PATH` as typed, against real SQLite files, while the bot's connection is
open; restoring is copying the file back."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import pytest

from bot.app.cli import main
from bot.base.models import Channel
from bot.core.engine import Engine
from bot.storage.database import Database
from bot.storage.records import Group, User
from tests.bot.app.test_logsafe import bare_root_logger
from tests.conftest import Person


def backup(*args: str) -> int:
    """`posukk db ...` as typed; the log redaction it installs stays inside this call."""
    with bare_root_logger():
        return main(["db", *args])


async def state(database: Database) -> tuple[User | None, list[Group]]:
    async with database.unit_of_work() as uow:
        return await uow.users.by_platform(Channel.TERMINAL, "rudi"), await uow.groups.all()


def query(path: Path, sql: str) -> list[tuple[object, ...]]:
    """A separate connection, as another process would have; it sees what is in the WAL too."""
    with closing(sqlite3.connect(path)) as connection:
        return connection.execute(sql).fetchall()


def schema_versions(path: Path) -> list[tuple[object, ...]]:
    return query(path, "SELECT * FROM schema_version ORDER BY version")


def rudi_in_main_file_only(database: Path, copy: Path) -> bool:
    """Whether the database file itself, without its WAL file, holds Rudi yet."""
    shutil.copyfile(database, copy)
    try:
        return query(copy, "SELECT 1 FROM users WHERE name = 'Rudi'") != []
    except sqlite3.OperationalError:  # not even the tables are there: all still in the WAL
        return False


def files_in(folder: Path) -> list[str]:
    return sorted(entry.name for entry in folder.iterdir())


SQLITE_BACKUP = "SQLite's online backup of the file; PostgreSQL's advice is tested below"


@pytest.mark.sqlite_only(reason=SQLITE_BACKUP)
async def test_backup_while_the_bot_writes_restores_exactly_what_was_there(
    database: Database,
    engine: Engine,
    db_path: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    await Person(engine, "rudi").register("Rudi")
    before = await state(database)
    assert before[0] is not None
    assert not rudi_in_main_file_only(db_path, tmp_path / "main-only.sqlite3")
    out = tmp_path / "backups" / "posukk-backup.sqlite3"
    out.parent.mkdir()

    assert backup("--db", str(db_path), "backup", str(out)) == 0

    (users, groups, incidents), *_ = query(
        db_path,
        "SELECT (SELECT COUNT(*) FROM users), (SELECT COUNT(*) FROM pos_groups),"
        " (SELECT COUNT(*) FROM incidents)",
    )
    assert capsys.readouterr().out == (
        f"wrote {out} ({out.stat().st_size} bytes): {users} users, {groups} groups,"
        f" {incidents} incidents\n"
    )
    assert files_in(out.parent) == [out.name]  # one self-contained file, no temporary left
    assert query(out, "PRAGMA journal_mode") == [("delete",)]  # needs no -wal file to go with it
    restored = tmp_path / "restored" / "posukk.sqlite3"
    restored.parent.mkdir()
    shutil.copyfile(out, restored)
    again = await Database.open(restored)
    try:
        assert await state(again) == before
    finally:
        await again.close()
    assert schema_versions(restored) == schema_versions(db_path)


@pytest.mark.sqlite_only(reason=SQLITE_BACKUP)
async def test_an_existing_file_is_overwritten_only_with_force(
    database: Database, db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "backup.sqlite3"
    out.write_text("last week's backup")

    assert backup("--db", str(db_path), "backup", str(out)) == 2
    assert capsys.readouterr().err == f"error: {out} exists; add --force to overwrite it\n"
    assert out.read_text() == "last week's backup"

    assert backup("--db", str(db_path), "backup", str(out), "--force") == 0
    assert schema_versions(out) == schema_versions(db_path)


def test_a_missing_database_is_not_created(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nowhere.sqlite3"
    assert backup("--db", str(missing), "backup", str(tmp_path / "b.sqlite3")) == 2
    assert capsys.readouterr().err == f"error: no database at {missing}\n"
    assert files_in(tmp_path) == []


def test_the_database_cannot_be_its_own_backup(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "posukk.sqlite3"
    with closing(sqlite3.connect(source)) as connection:
        connection.execute("CREATE TABLE t (x)")
    assert backup("--db", str(source), "backup", str(source), "--force") == 2
    assert capsys.readouterr().err == f"error: {source} is the database itself\n"


def corrupt_index(path: Path) -> None:
    """A corrupt database: its index disagrees with its table. Every page reads fine; only the
    integrity check finds it."""
    with closing(sqlite3.connect(path)) as connection:
        connection.execute("CREATE TABLE users (name TEXT, phone TEXT)")
        connection.execute("CREATE INDEX by_name ON users (name)")
        connection.executemany(
            "INSERT INTO users VALUES (?, ?)", [(f"user {n}", f"phone {n}") for n in range(50)]
        )
        connection.execute("PRAGMA writable_schema = ON")
        connection.execute(
            "UPDATE sqlite_schema SET sql = 'CREATE INDEX by_name ON users (phone)'"
            " WHERE name = 'by_name'"
        )
        connection.commit()


@pytest.mark.parametrize(
    ("make_source", "reason"),
    [
        (corrupt_index, "the copy failed its integrity check: "),
        (lambda path: path.write_text("not a database " * 100), "cannot back up "),
    ],
)
def test_a_failed_backup_leaves_no_partial_file_and_the_old_backup_intact(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    make_source: Callable[[Path], object],
    reason: str,
) -> None:
    source = tmp_path / "source" / "posukk.sqlite3"
    source.parent.mkdir()
    make_source(source)
    out = tmp_path / "out"
    out.mkdir()
    (out / "b.sqlite3").write_text("last week's backup")

    assert backup("--db", str(source), "backup", str(out / "b.sqlite3"), "--force") == 2

    assert capsys.readouterr().err.startswith(f"error: {reason}")
    assert files_in(out) == ["b.sqlite3"]
    assert (out / "b.sqlite3").read_text() == "last week's backup"


def test_on_postgresql_backup_says_how_with_pg_dump_and_never_shows_the_password(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = "postgresql://posukk:hunter2@db.internal:5432/posukk"
    out = tmp_path / "posukk.dump"
    assert backup("--db", url, "backup", str(out)) == 2
    said = capsys.readouterr().err
    assert (
        f"pg_dump --format=custom --file={out} 'postgresql://posukk:***@db.internal:5432/posukk'"
        in said
    )
    assert "pg_restore" in said
    assert "hunter2" not in said
    assert not out.exists()
