"""PostgreSQL through psycopg 3: a pool of connections, one per unit of work.

**Choice**: psycopg 3 with a thin layer (`bot/storage/sql.py`) rather than SQLAlchemy Core or
asyncpg. The repositories' SQL is plain and portable, so a query builder would only add a
layer to learn and a cost on every statement; psycopg, like SQLite, lets the server infer a
parameter's type (asyncpg wants each Python value to match its column's type exactly), has its
own connection pool, and prepares the statements run often by itself.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from typing import Any

import psycopg
from psycopg.adapt import Dumper, Loader
from psycopg.rows import BaseRowFactory, RowMaker
from psycopg_pool import AsyncConnectionPool

from bot.base.clock import to_db, utc_now
from bot.storage.database import Database, UnitOfWork, migrations
from bot.storage.sql import Backend, Connection, Cursor, Dialect, Execution, Params, to_pyformat

MIGRATION_LOCK = 0x706F73756B6B
"""The advisory lock held while migrating, so processes starting together migrate once."""


RESYNC_IDS = """
DO $$
DECLARE t record;
BEGIN
  FOR t IN SELECT table_name FROM information_schema.columns
           WHERE table_schema = current_schema() AND column_name = 'id' AND is_identity = 'YES'
  LOOP
    EXECUTE format(
      'SELECT setval(pg_get_serial_sequence(%L, ''id''), COALESCE(MAX(id), 0) + 1, false) FROM %I',
      t.table_name, t.table_name);
  END LOOP;
END $$"""
"""After rows were written with their ids given (a copy from SQLite): each table numbers its
next row after the highest id it holds."""


class PgRow:
    """A row read by column name or position, like `sqlite3.Row`."""

    __slots__ = ("_index", "_values")

    def __init__(self, values: Sequence[Any], index: dict[str, int]) -> None:
        self._values = values
        self._index = index

    def __getitem__(self, key: int | str, /) -> Any:
        return self._values[self._index[key] if isinstance(key, str) else key]

    def keys(self) -> list[str]:
        return list(self._index)

    def __len__(self) -> int:
        return len(self._values)


def _rows(cursor: psycopg.AsyncCursor[Any]) -> RowMaker[PgRow]:
    names = [column.name for column in cursor.description or ()]
    index = {name: i for i, name in enumerate(names)}

    def make(values: Sequence[Any]) -> PgRow:
        return PgRow(values, index)

    return make


_ROWS: BaseRowFactory[PgRow] = _rows  # type: ignore[assignment]


class _BoolAsInteger(Dumper):
    """Flags are integer columns, as in SQLite: a Python bool is written as 0 or 1."""

    oid = 0
    """Unknown, so the server reads it as the integer a column wants, or as the boolean an
    expression wants (`:members AND ...`)."""

    def dump(self, obj: Any) -> bytes:
        return b"1" if obj else b"0"


class _NumericAsNumber(Loader):
    """SUM() and AVG() of integers are `numeric`: read back as int when whole, else float
    (SQLite gives int or float, and JSON cannot hold a Decimal)."""

    def load(self, data: Any) -> int | float:
        text = bytes(data).decode()
        number = float(text)
        return int(text) if number.is_integer() and "." not in text else number


class PgConnection(Connection):
    dialect = Dialect(Backend.POSTGRESQL)

    def __init__(self, connection: psycopg.AsyncConnection[Any]) -> None:
        self._connection = connection

    def execute(self, sql: str, params: Params = ()) -> Execution:
        async def run() -> Cursor:
            cursor = self._connection.cursor(row_factory=_ROWS)
            await cursor.execute(to_pyformat(sql), params)
            return cursor

        return Execution(run, _close)

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        async with self._connection.cursor() as cursor:
            await cursor.executemany(to_pyformat(sql), rows)


async def _close(cursor: psycopg.AsyncCursor[Any]) -> None:
    await cursor.close()


def plain_values(connection: psycopg.AsyncConnection[Any] | psycopg.Connection[Any]) -> None:
    """Values as SQLite has them: flags as integers, sums as int or float."""
    connection.adapters.register_dumper(bool, _BoolAsInteger)
    connection.adapters.register_loader("numeric", _NumericAsNumber)


async def _configure(connection: psycopg.AsyncConnection[Any]) -> None:
    plain_values(connection)
    await connection.set_autocommit(True)


class SessionLocks:
    """Session-level advisory locks on a connection of their own, held until it closes: when a
    process dies, its connection goes and another process can take what it held."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._connection: psycopg.AsyncConnection[Any] | None = None
        self._guard = asyncio.Lock()

    async def try_hold(self, name: str) -> bool:
        """Asked again while held, the server says yes again (the lock is this session's), so
        each call also finds out whether the connection, and with it the lock, was lost."""
        async with self._guard:
            try:
                return await self._try(name)
            except psycopg.OperationalError:
                self._connection = None  # the server let go of everything it held
                return await self._try(name)

    async def _try(self, name: str) -> bool:
        if self._connection is None or self._connection.closed:
            self._connection = await psycopg.AsyncConnection.connect(self._url, autocommit=True)
        cursor = await self._connection.execute(
            "SELECT pg_try_advisory_lock(hashtextextended(%s, 0))", (f"process:{name}",)
        )
        row = await cursor.fetchone()
        return bool(row and row[0])

    async def close(self) -> None:
        async with self._guard:
            if self._connection is not None:
                await self._connection.close()
            self._connection = None


class PostgresDatabase(Database):
    """**Choice**: each unit of work takes a connection of the pool and runs as one READ
    COMMITTED transaction; units of work of different people run side by side (one person's
    are ordered by the engine's lock per person)."""

    backend = Backend.POSTGRESQL

    def __init__(self, pool: AsyncConnectionPool[psycopg.AsyncConnection[Any]], url: str) -> None:
        self._pool = pool
        self._locks = SessionLocks(url)

    @classmethod
    async def connect(cls, url: str, *, pool_size: int) -> PostgresDatabase:
        pool: AsyncConnectionPool[psycopg.AsyncConnection[Any]] = AsyncConnectionPool(
            url, min_size=1, max_size=max(1, pool_size), configure=_configure, open=False
        )
        await pool.open(wait=True)
        database = cls(pool, url)
        try:
            await database.migrate()
        except BaseException:
            await pool.close()
            raise
        return database

    async def checkpoint(self) -> None:
        """Nothing to do here: PostgreSQL reclaims the space of deleted rows with autovacuum,
        and a backup made afterwards holds none of them."""

    async def checkpoint_in_a_job(self) -> None:
        """Nothing to do: the server checkpoints by itself, outside our transactions."""

    async def checkpoint_aside(self) -> None:
        """Nothing to do (see `checkpoint_in_a_job`)."""

    async def try_hold(self, name: str) -> bool:
        return await self._locks.try_hold(name)

    async def close(self) -> None:
        await self._locks.close()
        await self._pool.close()

    async def migrate(self) -> list[int]:
        applied = []
        async with self._pool.connection() as connection, connection.transaction():
            await connection.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
            await connection.execute(
                "CREATE TABLE IF NOT EXISTS schema_version"
                " (version BIGINT PRIMARY KEY, applied_at TEXT NOT NULL)"
            )
            cursor = await connection.execute("SELECT version FROM schema_version")
            done = {row[0] for row in await cursor.fetchall()}
            for version, sql in migrations(Backend.POSTGRESQL):
                if version in done:
                    continue
                await connection.execute(sql.encode())
                await connection.execute(
                    "INSERT INTO schema_version VALUES (%s, %s)", (version, to_db(utc_now()))
                )
                applied.append(version)
        return applied

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[UnitOfWork]:
        async with self._pool.connection() as connection, connection.transaction():
            uow = UnitOfWork(PgConnection(connection))
            yield uow
        self._committed(uow)

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[UnitOfWork]:
        async with self._pool.connection() as connection, connection.transaction():
            await connection.execute("SET TRANSACTION READ ONLY")
            yield UnitOfWork(PgConnection(connection))
