"""The SQLite connection, its migrations, and the unit of work that commits one inbound."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path

import aiosqlite

from bot.base.clock import to_db, utc_now
from bot.storage.activities import ActivityRepository
from bot.storage.audit import AuditRepository
from bot.storage.broadcasts import BroadcastRepository
from bot.storage.card_packs import CardPackRepository
from bot.storage.consent import ConsentRepository
from bot.storage.group_chats import GroupChatRepository
from bot.storage.groups import GroupRepository
from bot.storage.identities import IdentityRepository
from bot.storage.inbound import InboundRepository
from bot.storage.inbox import InboxRepository
from bot.storage.incidents import IncidentRepository
from bot.storage.memberships import MembershipRepository
from bot.storage.offers import OfferRepository
from bot.storage.outbox import OutboxRepository
from bot.storage.privacy import PrivacyRepository
from bot.storage.recaps import RecapRepository
from bot.storage.roles import RoleRepository
from bot.storage.rsvps import RsvpRepository
from bot.storage.sessions import SessionRepository
from bot.storage.users import UserRepository
from bot.storage.web_logins import WebLoginRepository

BUSY_TIMEOUT_MS = 5000


class UnitOfWork:
    """Every repository over one open transaction; the block commits or rolls back as one."""

    def __init__(self, connection: aiosqlite.Connection) -> None:
        self.users = UserRepository(connection)
        self.consent = ConsentRepository(connection)
        self.identities = IdentityRepository(connection)
        self.groups = GroupRepository(connection)
        self.group_chats = GroupChatRepository(connection)
        self.memberships = MembershipRepository(connection)
        self.roles = RoleRepository(connection)
        self.sessions = SessionRepository(connection)
        self.outbox = OutboxRepository(connection)
        self.audit = AuditRepository(connection)
        self.activities = ActivityRepository(connection)
        self.offers = OfferRepository(connection)
        self.rsvps = RsvpRepository(connection)
        self.incidents = IncidentRepository(connection)
        self.broadcasts = BroadcastRepository(connection)
        self.inbound = InboundRepository(connection)
        self.inbox = InboxRepository(connection)
        self.privacy = PrivacyRepository(connection)
        self.recaps = RecapRepository(connection)
        self.card_packs = CardPackRepository(connection)
        self.web_logins = WebLoginRepository(connection)


class Database:
    """One aiosqlite connection; transactions are serialised by a lock, as SQLite has one writer."""

    def __init__(self, connection: aiosqlite.Connection, path: str) -> None:
        self._connection = connection
        self._path = path
        self._write_lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: Path | str) -> Database:
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        connection = await aiosqlite.connect(str(path), isolation_level=None)
        connection.row_factory = aiosqlite.Row
        await connection.execute("PRAGMA journal_mode = WAL")
        await connection.execute("PRAGMA foreign_keys = ON")
        await connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        await connection.execute("PRAGMA synchronous = NORMAL")
        # Erased data is overwritten with zeros, not left in free pages of the file.
        await connection.execute("PRAGMA secure_delete = ON")
        database = cls(connection, str(path))
        await database.migrate()
        return database

    async def checkpoint(self) -> None:
        """Copy the write-ahead log into the database file and empty it, so that data erased
        there is gone from the disk too (outside any transaction)."""
        async with self._write_lock:
            await self._connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")

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

    async def close(self) -> None:
        await self._connection.close()

    async def migrate(self) -> list[int]:
        """Apply every numbered migration not yet recorded; returns the versions applied."""
        await self._connection.execute(
            "CREATE TABLE IF NOT EXISTS schema_version"
            " (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)"
        )
        async with self._connection.execute("SELECT version FROM schema_version") as cursor:
            done = {row[0] for row in await cursor.fetchall()}
        applied = []
        for version, sql in _migrations():
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
        async with self._write_lock:
            await self._connection.execute("BEGIN IMMEDIATE")
            try:
                yield UnitOfWork(self._connection)
            except BaseException:
                await self._connection.execute("ROLLBACK")
                raise
            await self._connection.execute("COMMIT")


def _migrations() -> list[tuple[int, str]]:
    folder = resources.files("bot.storage") / "migrations"
    found = []
    for entry in folder.iterdir():
        if entry.name.endswith(".sql"):
            version = int(entry.name.split("_", 1)[0])
            found.append((version, entry.read_text(encoding="utf-8")))
    return sorted(found)
