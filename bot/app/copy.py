"""`posukk db copy --to postgresql://...`: move a deployment from its SQLite file to an empty
PostgreSQL database, every row with its id, then check that each table holds as many rows as
the file.

Stop the bot first: the copy reads one snapshot of the file, and whatever the bot writes after
it would stay behind.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from bot.app.backup import without_password
from bot.app.errors import CommandError
from bot.base.settings import Settings
from bot.storage.database import Database, is_postgresql
from bot.storage.postgresql import RESYNC_IDS

BATCH = 2_000
"""Rows sent to PostgreSQL per statement batch."""


class CopyError(CommandError):
    """A copy that cannot be made or did not come out whole; the message says why."""


@dataclass(frozen=True)
class Copied:
    tables: dict[str, int]
    """Rows per table, the same in the file and in the target."""


def tables_in_order(source: sqlite3.Connection) -> list[str]:
    """The file's tables, each after the tables its foreign keys name."""
    names = [
        str(name)
        for (name,) in source.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'"
            " AND name NOT LIKE 'sqlite!_%' ESCAPE '!' AND name <> 'schema_version' ORDER BY name"
        )
    ]
    needs = {
        name: {str(row[2]) for row in source.execute(f"PRAGMA foreign_key_list({name})")} - {name}
        for name in names
    }
    ordered: list[str] = []
    while len(ordered) < len(names):
        ready = [n for n in names if n not in ordered and needs[n] <= set(ordered)]
        if not ready:
            raise CopyError(f"the foreign keys of {sorted(set(names) - set(ordered))} form a loop")
        ordered.extend(ready)
    return ordered


def _batches(cursor: sqlite3.Cursor) -> Iterator[list[tuple[object, ...]]]:
    while rows := cursor.fetchmany(BATCH):
        yield rows


async def copy_database(source: Path, target: str) -> Copied:
    """Copy every row of the SQLite file `source` into the PostgreSQL database `target`, which
    must hold no rows yet (its schema is created or brought up to date first). The file must
    exist (opening it would create an empty one)."""
    if not is_postgresql(target):
        raise CopyError("--to must be a postgresql:// address")
    # The file is brought up to date first, so that both have the same schema.
    await (await Database.open(source)).close()
    database = await Database.open(target, pool_size=1)
    try:
        with closing(sqlite3.connect(source)) as lite:
            lite.execute("BEGIN")  # one snapshot of the file for the whole copy
            order = tables_in_order(lite)
            async with database.unit_of_work() as uow:
                db = uow.connection
                for table in order:
                    async with db.execute(f"SELECT EXISTS (SELECT 1 FROM {table})") as cursor:
                        found = await cursor.fetchone()
                    if found is not None and found[0]:
                        raise CopyError(
                            f"{without_password(target)} is not empty ({table} has rows):"
                            " copy only into a new database"
                        )
                counts: dict[str, int] = {}
                for table in order:
                    reading = lite.execute(f"SELECT * FROM {table}")
                    columns = [c[0] for c in reading.description]
                    insert = (
                        f"INSERT INTO {table} ({', '.join(columns)})"
                        f" VALUES ({', '.join('?' for _ in columns)})"
                    )
                    for rows in _batches(reading):
                        await db.executemany(insert, rows)
                    counts[table] = int(lite.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
                await db.execute(RESYNC_IDS)
                for table, expected in counts.items():
                    async with db.execute(f"SELECT COUNT(*) FROM {table}") as cursor:
                        found = await cursor.fetchone()
                    copied = int(found[0]) if found else 0
                    if copied != expected:
                        raise CopyError(
                            f"{table}: {expected} rows in the file, {copied} copied;"
                            " nothing was kept"
                        )
    finally:
        await database.close()
    return Copied(counts)


def copy_command(settings: Settings, args: argparse.Namespace) -> None:
    """`posukk db copy --to postgresql://...`."""
    source = settings.database_at(args.db)
    if not isinstance(source, Path):
        raise CopyError("the database to copy from is a SQLite file (--db or POSUKK_DB_PATH)")
    if not source.is_file():
        raise CopyError(f"no database at {source}")
    copied = asyncio.run(copy_database(source, args.to))
    total = sum(copied.tables.values())
    print(
        f"copied {total} rows in {len(copied.tables)} tables to {without_password(args.to)};"
        " every table's count matches"
    )
    print("next: set POSUKK_DATABASE_URL to that address and start the bot")
