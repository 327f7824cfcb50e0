"""SQLite: one aiosqlite connection; transactions serialised by a lock, as SQLite has one writer
(answers to people writing in first, `bot.storage.write_turns`)."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from pathlib import Path

import aiosqlite

from bot.base.clock import to_db, utc_now
from bot.storage.database import Database, UnitOfWork, migrations
from bot.storage.sql import Backend, Connection, Cursor, Dialect, Execution, Params
from bot.storage.write_turns import WriteTurns

BUSY_TIMEOUT_MS = 5000


class SqliteConnection(Connection):
    dialect = Dialect(Backend.SQLITE)

    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._connection = connection

    def execute(self, sql: str, params: Params = ()) -> Execution:
        async def run() -> Cursor:
            return await self._connection.execute(sql, params)

        return Execution(run, _close)

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        await self._connection.executemany(sql, rows)


async def _close(cursor: aiosqlite.Cursor) -> None:
    await cursor.close()


async def _connect(path: str) -> aiosqlite.Connection:
    connection = await aiosqlite.connect(path, isolation_level=None)
    connection.row_factory = aiosqlite.Row
    await connection.execute("PRAGMA foreign_keys = ON")
    await connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    return connection


class SqliteDatabase(Database):
    """**Choice**: one connection and `BEGIN IMMEDIATE` under a lock (`WriteTurns`): SQLite has one
    writer anyway, and one inbound is one transaction without a pool."""

    backend = Backend.SQLITE

    def __init__(self, connection: aiosqlite.Connection, path: str) -> None:
        self._connection = connection
        self._path = path
        self._write_lock = WriteTurns()
        self._reader: aiosqlite.Connection | None = None
        self._read_lock = asyncio.Lock()

    @classmethod
    async def connect(cls, path: Path | str) -> SqliteDatabase:
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        connection = await _connect(str(path))
        await connection.execute("PRAGMA journal_mode = WAL")
        await connection.execute("PRAGMA synchronous = NORMAL")
        # Erased data is overwritten with zeros, not left in free pages of the file.
        await connection.execute("PRAGMA secure_delete = ON")
        database = cls(connection, str(path))
        await database.migrate()
        return database

    async def checkpoint_in_a_job(self) -> None:
        """From now on no commit copies the write-ahead log into the database file itself:
        SQLite does that inside the commit that takes the log past 1,000 pages (350 ms with a
        600 MB file, while every other transaction waits). `checkpoint_aside` must then run every
        few seconds."""
        await self._connection.execute("PRAGMA wal_autocheckpoint = 0")

    async def checkpoint_aside(self) -> None:
        """Copy the write-ahead log into the database file from a connection of its own, in a
        worker thread, so no transaction waits for it (PASSIVE: it copies what no reader still
        needs and never blocks a writer)."""
        if self._path == ":memory:":
            return

        def run() -> None:
            timeout = BUSY_TIMEOUT_MS / 1000
            with contextlib.closing(sqlite3.connect(self._path, timeout=timeout)) as connection:
                connection.execute("PRAGMA wal_checkpoint(PASSIVE)")

        await asyncio.to_thread(run)

    async def checkpoint(self) -> None:
        """Copy the write-ahead log into the database file and empty it, so that data erased
        there is gone from the disk too (outside any transaction)."""
        async with self._write_lock.held():
            await self._connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    async def try_hold(self, name: str) -> bool:
        """Always: one process works on a SQLite file (its transactions take the file's one
        write lock anyway)."""
        return True

    async def close(self) -> None:
        if self._reader is not None:
            await self._reader.close()
        await self._connection.close()

    async def migrate(self) -> list[int]:
        await self._connection.execute(
            "CREATE TABLE IF NOT EXISTS schema_version"
            " (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)"
        )
        async with self._connection.execute("SELECT version FROM schema_version") as cursor:
            done = {row[0] for row in await cursor.fetchall()}
        applied = []
        for version, sql in migrations(Backend.SQLITE):
            if version in done:
                continue
            stamp = to_db(utc_now())
            statements = (
                f"BEGIN;\n{sql}\nINSERT INTO schema_version VALUES ({version}, '{stamp}');\nCOMMIT;"
            )
            try:
                await self._connection.executescript(statements)
            except Exception:
                if self._connection.in_transaction:
                    await self._connection.execute("ROLLBACK")
                raise
            applied.append(version)
        return applied

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[UnitOfWork]:
        async with self._write_lock.held():
            await self._connection.execute("BEGIN IMMEDIATE")
            uow = UnitOfWork(SqliteConnection(self._connection))
            try:
                yield uow
            except BaseException:
                await self._connection.execute("ROLLBACK")
                raise
            await self._connection.execute("COMMIT")
        self._committed(uow)

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[UnitOfWork]:
        """A snapshot through a second, query-only connection, one reader at a time: in WAL mode
        it neither waits for the writer nor holds it up. An in-memory database has no second
        connection, so it reads in a unit of work."""
        if self._path == ":memory:":
            async with self.unit_of_work() as uow:
                yield uow
            return
        async with self._read_lock:
            if self._reader is None:
                self._reader = await _connect(self._path)
                await self._reader.execute("PRAGMA query_only = ON")
            await self._reader.execute("BEGIN")
            try:
                yield UnitOfWork(SqliteConnection(self._reader))
            finally:
                await self._reader.execute("ROLLBACK")
