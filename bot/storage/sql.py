"""What the repositories see of a database: one open transaction that runs SQL, on SQLite or
PostgreSQL alike.

Repositories write their SQL once, with SQLite's placeholders (`?` or `:name`); the PostgreSQL
connection rewrites a statement's placeholders for psycopg once and keeps the result. Where the
two dialects differ in what SQL can say (JSON, date arithmetic, SQLite's index hints), the
repository asks `Dialect` for the fragment instead of writing either one out.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Generator, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache
from types import TracebackType
from typing import Any, Protocol

Params = Sequence[object] | Mapping[str, object]


class Row(Protocol):
    """A result row, read by column name or position (SQLite's `sqlite3.Row` is one)."""

    def __getitem__(self, key: int | str, /) -> Any: ...

    def keys(self) -> list[str]: ...


class Cursor(Protocol):
    @property
    def rowcount(self) -> int: ...

    async def fetchone(self) -> Row | None: ...

    async def fetchall(self) -> Iterable[Row]: ...


class Backend(Enum):
    SQLITE = "sqlite"
    POSTGRESQL = "postgresql"


@dataclass(frozen=True)
class Dialect:
    """The few fragments of SQL the two databases spell differently."""

    backend: Backend

    def json_values(self, param: str) -> str:
        """A one-column subquery of the integers and strings in a JSON array parameter
        (`:name`), for `x IN (...)`. On PostgreSQL the values are text: compare with `::text`
        columns or cast with `int_values` instead."""
        if self.backend is Backend.SQLITE:
            return f"SELECT value FROM json_each({param})"
        return f"SELECT json_array_elements_text(CAST({param} AS json))"

    def json_ints(self, param: str) -> str:
        """A one-column subquery of the integers in a JSON array parameter."""
        if self.backend is Backend.SQLITE:
            return f"SELECT value FROM json_each({param})"
        return f"SELECT CAST(json_array_elements_text(CAST({param} AS json)) AS bigint)"

    def json_elements(self, column: str) -> str:
        """A FROM item: the elements of a JSON array stored as text, each named `value`."""
        if self.backend is Backend.SQLITE:
            return f"json_each({column})"
        return f"json_array_elements(CAST({column} AS json)) AS elements(value)"

    def json_field(self, column: str, field: str) -> str:
        """The text of a top-level field of a JSON object stored as text."""
        if self.backend is Backend.SQLITE:
            return f"json_extract({column}, '$.{field}')"
        return f"(CAST({column} AS json) ->> '{field}')"

    def days_between(self, later: str, earlier: str) -> str:
        """Days (fractional) from one stored timestamp to another."""
        if self.backend is Backend.SQLITE:
            return f"(julianday({later}) - julianday({earlier}))"
        return (
            f"(EXTRACT(EPOCH FROM CAST({later} AS timestamptz) - CAST({earlier} AS timestamptz))"
            " / 86400)"
        )

    def skip_locked(self, table: str) -> str:
        """The rows of `table` a claim reads are locked for its transaction, and rows another
        process's claim holds are passed over (PostgreSQL; a SQLite transaction already holds
        the whole file)."""
        return "" if self.backend is Backend.SQLITE else f" FOR UPDATE OF {table} SKIP LOCKED"

    @property
    def insertion_order(self) -> str:
        """The column that orders a table without an id by when its rows were first inserted:
        SQLite's rowid, PostgreSQL's `seq` (given to such tables in their migrations)."""
        return "rowid" if self.backend is Backend.SQLITE else "seq"

    def indexed_by(self, index: str) -> str:
        """SQLite's hint to walk one index (its planner sometimes sorts a whole table instead);
        PostgreSQL's planner takes no hints and needs none for these queries."""
        return f" INDEXED BY {index}" if self.backend is Backend.SQLITE else ""


class Connection(ABC):
    """One transaction's connection: `await conn.execute(...)` or
    `async with conn.execute(...) as cursor`."""

    dialect: Dialect

    @abstractmethod
    def execute(self, sql: str, params: Params = ()) -> Execution: ...

    @abstractmethod
    async def executemany(self, sql: str, rows: Iterable[Params]) -> None: ...

    async def insert(self, sql: str, params: Params = ()) -> int:
        """Run an `INSERT` of one row; returns the new row's `id`."""
        async with self.execute(f"{sql} RETURNING id", params) as cursor:
            row = await cursor.fetchone()
        if row is None:
            raise LookupError("the insert added no row")
        return int(row[0])


class Execution:
    """A statement being run: awaited, it is the cursor; in `async with`, the cursor is closed
    at the end of the block (aiosqlite's shape, which the repositories were written against)."""

    def __init__(self, run: Any, close: Any) -> None:
        self._run = run
        self._close = close
        self._cursor: Cursor | None = None

    def __await__(self) -> Generator[Any, None, Cursor]:
        cursor: Cursor = yield from self._run().__await__()
        return cursor

    async def __aenter__(self) -> Cursor:
        self._cursor = await self._run()
        return self._cursor

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._cursor is not None:
            await self._close(self._cursor)


_TOKENS = re.compile(r"'(?:[^']|'')*'|\?|(?<![:\w]):([A-Za-z_]\w*)|%")


@lru_cache(maxsize=4096)
def to_pyformat(sql: str) -> str:
    """SQLite's placeholders (`?`, `:name`) as psycopg's (`%s`, `%(name)s`); a literal `%`
    doubled, in quoted strings too (psycopg reads the whole text). Inside quotes nothing else
    changes, and `::type` casts are not names."""

    def replace(match: re.Match[str]) -> str:
        token = match.group(0)
        if token.startswith("'"):
            return token.replace("%", "%%")
        if token == "?":
            return "%s"
        if token == "%":
            return "%%"
        return f"%({match.group(1)})s"

    return _TOKENS.sub(replace, sql)
