"""`posukk db backup`: a consistent copy of the database, safe while `posukk run` writes to it.

SQLite's online backup API reads one snapshot, including writes still in the WAL file, and the
bot's writers are not blocked meanwhile (WAL mode). The copy is checked before it replaces PATH.

Restore: stop the bot, copy the backup file over the database file, delete the `-wal` and
`-shm` files next to it, start the bot.
"""

from __future__ import annotations

import argparse
import os
import re
import sqlite3
import tempfile
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from bot.app.errors import CommandError
from bot.base.settings import Settings

BUSY_TIMEOUT_S = 5.0


class BackupError(CommandError):
    """A backup that cannot be made; the message says why."""


@dataclass(frozen=True)
class Backup:
    path: Path
    size: int
    """Bytes."""
    users: int
    groups: int
    incidents: int


def backup_database(source: Path, target: Path, *, force: bool = False) -> Backup:
    """Copy `source` to `target`, which is written only once the copy passed its check."""
    if not source.is_file():  # connecting would create an empty database
        raise BackupError(f"no database at {source}")
    if target.is_dir():
        raise BackupError(f"{target} is a directory")
    if target.exists():
        if target.samefile(source):
            raise BackupError(f"{target} is the database itself")
        if not force:
            raise BackupError(f"{target} exists; add --force to overwrite it")
    try:
        handle, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as error:
        raise BackupError(f"cannot write {target}: {error.strerror}") from error
    os.close(handle)  # the file is its owner's only, as the backup holds personal data
    temporary = Path(name)
    try:
        counts = _copy(source, temporary)
        temporary.replace(target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return Backup(target, target.stat().st_size, *counts)


def _copy(source: Path, copy: Path) -> tuple[int, int, int]:
    """Back `source` up into `copy` and check it; the numbers of users, groups and incidents."""
    try:
        with (
            closing(sqlite3.connect(source, timeout=BUSY_TIMEOUT_S)) as reading,
            closing(sqlite3.connect(copy)) as writing,
        ):
            reading.execute("PRAGMA query_only = ON")
            reading.backup(writing)
            # One self-contained file: the copy would otherwise inherit WAL mode from the source.
            writing.execute("PRAGMA journal_mode = DELETE")
            problems = [row[0] for row in writing.execute("PRAGMA integrity_check")]
            if problems != ["ok"]:
                raise BackupError(f"the copy failed its integrity check: {'; '.join(problems[:3])}")
            return (
                _count(writing, "users"),
                _count(writing, "pos_groups"),
                _count(writing, "incidents"),
            )
    except sqlite3.Error as error:
        raise BackupError(f"cannot back up {source}: {error}") from error


def postgresql_advice(url: str, target: Path) -> str:
    """How to back up a PostgreSQL database, which this command does not copy itself: the
    server's own `pg_dump` reads one consistent snapshot while the bots write."""
    shown = without_password(url)
    return (
        "the database is PostgreSQL: back it up with the server's own tools, for example\n"
        f"  pg_dump --format=custom --file={target} '{shown}'\n"
        "(safe while the bots run: one consistent snapshot). Restore into an empty database:\n"
        f"  pg_restore --no-owner --dbname='{shown}' {target}\n"
        "For point-in-time recovery, archive the write-ahead log (PostgreSQL manual,"
        " 'Continuous Archiving')."
    )


def without_password(url: str) -> str:
    """A database address fit to print: the password, if any, replaced by `***`."""
    return re.sub(r"^(postgres(?:ql)?://[^:/@]*):[^@]*@", r"\1:***@", url)


def _count(connection: sqlite3.Connection, table: str) -> int:
    return int(connection.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])


def backup_command(settings: Settings, args: argparse.Namespace) -> None:
    """`posukk db backup PATH`."""
    source = settings.database_at(args.db)
    if isinstance(source, str):
        raise BackupError(postgresql_advice(source, args.path))
    made = backup_database(source, args.path, force=args.force)
    print(
        f"wrote {made.path} ({made.size} bytes): {made.users} users, {made.groups} groups,"
        f" {made.incidents} incidents"
    )
