"""The database (SQLite or PostgreSQL, by its address), its migrations, and the unit of work that
commits one inbound."""

from __future__ import annotations

import re
import secrets
from abc import ABC, abstractmethod
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from functools import cached_property
from importlib import resources
from pathlib import Path

from bot.storage.activities import ActivityRepository
from bot.storage.audit import AuditRepository
from bot.storage.broadcasts import BroadcastRepository
from bot.storage.card_packs import CardPackRepository
from bot.storage.consent import ConsentRepository
from bot.storage.floods import FloodCounts
from bot.storage.group_chats import GroupChatRepository
from bot.storage.groups import GroupRepository
from bot.storage.identities import IdentityRepository
from bot.storage.inbound import InboundRepository
from bot.storage.inbox import InboxRepository
from bot.storage.incidents import IncidentRepository
from bot.storage.memberships import MembershipRepository
from bot.storage.offers import OfferRepository
from bot.storage.outbox import OutboxRepository
from bot.storage.pace import SendPace
from bot.storage.privacy import PrivacyRepository
from bot.storage.recaps import RecapRepository
from bot.storage.roles import RoleRepository
from bot.storage.rsvps import RsvpRepository
from bot.storage.sessions import SessionRepository
from bot.storage.sql import Backend, Connection
from bot.storage.turns import TurnLocks
from bot.storage.users import UserRepository
from bot.storage.web_logins import WebLoginRepository


class UnitOfWork:
    """Every repository over one open transaction; the block commits or rolls back as one."""

    def __init__(self, connection: Connection) -> None:
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
        self.turns = TurnLocks(connection)
        self.floods = FloodCounts(connection)
        self.pace = SendPace(connection)

        self.connection = connection
        """For the few statements no repository owns (`posukk db copy`)."""


class Database(ABC):
    """Where everything is stored; `Database.open` picks the backend from the address."""

    backend: Backend
    _on_queued: Callable[[], None] | None = None

    def when_queued(self, wake: Callable[[], None]) -> None:
        """Call `wake` after each commit that queued an outbox row (the delivery worker's
        wake-up): a turn that only answered wakes nobody (an empty claim after every update
        cost about a tenth of an update's CPU)."""
        self._on_queued = wake

    def _committed(self, uow: UnitOfWork) -> None:
        if uow.outbox.queued and self._on_queued is not None:
            self._on_queued()

    @cached_property
    def process_name(self) -> str:
        """A name for this process among those on one database (one per `open`): whose claim
        holds an outbox row (`bot.storage.outbox.Holder`)."""
        return secrets.token_hex(8)

    @staticmethod
    async def open(target: str | Path, *, pool_size: int = 10) -> Database:
        """A `postgresql://` address opens PostgreSQL (a pool of up to `pool_size`
        connections); anything else is the path of a SQLite file."""
        if is_postgresql(target):
            from bot.storage.postgresql import PostgresDatabase

            return await PostgresDatabase.connect(str(target), pool_size=pool_size)
        from bot.storage.sqlite import SqliteDatabase

        return await SqliteDatabase.connect(target)

    @abstractmethod
    def unit_of_work(self) -> AbstractAsyncContextManager[UnitOfWork]:
        """One transaction: every repository, committed when the block ends, rolled back if it
        raises."""

    @abstractmethod
    def reading(self) -> AbstractAsyncContextManager[UnitOfWork]:
        """One read-only transaction (a write in it fails): for long reads, such as a group's
        month of indicators, which then hold up no unit of work (on SQLite they read a snapshot
        through a connection of their own while the writer goes on)."""

    @abstractmethod
    async def migrate(self) -> list[int]:
        """Apply every numbered migration not yet recorded; returns the versions applied."""

    @abstractmethod
    async def checkpoint_in_a_job(self) -> None:
        """From now on commits leave the write-ahead log to `checkpoint_aside` (SQLite; nothing
        to do on PostgreSQL, whose server checkpoints by itself)."""

    @abstractmethod
    async def checkpoint_aside(self) -> None:
        """Copy the write-ahead log into the database file without holding up a transaction
        (SQLite; nothing to do on PostgreSQL)."""

    @abstractmethod
    async def checkpoint(self) -> None:
        """After an erasure: make erased data gone from the disk too, where the backend can."""

    @abstractmethod
    async def try_hold(self, name: str) -> bool:
        """Take the database-wide lock `name` for this process unless another process holds
        it; True while this process holds it (until `close`). For work one process at a time
        may do: the scheduled jobs, Telegram long polling."""

    @abstractmethod
    async def close(self) -> None: ...


def is_postgresql(target: str | Path) -> bool:
    return isinstance(target, str) and target.startswith(("postgresql://", "postgres://"))


def migrations(backend: Backend) -> list[tuple[int, str]]:
    """The numbered migrations, in order. Each `migrations/NNNN_name.sql` is written for SQLite
    and serves PostgreSQL through `for_postgresql`, unless `migrations/postgresql/` holds a file
    of the same name (a change SQLite makes by rebuilding a table)."""
    folder = resources.files("bot.storage") / "migrations"
    own = folder / "postgresql"
    found = []
    for entry in folder.iterdir():
        if not entry.name.endswith(".sql"):
            continue
        version = int(entry.name.split("_", 1)[0])
        if backend is Backend.SQLITE:
            sql = entry.read_text(encoding="utf-8")
        elif (own / entry.name).is_file():
            sql = (own / entry.name).read_text(encoding="utf-8")
        else:
            sql = for_postgresql(entry.read_text(encoding="utf-8"))
        found.append((version, sql))
    return sorted(found)


_PG_TYPES = (
    (re.compile(r"\bINTEGER PRIMARY KEY\b"), "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"),
    (re.compile(r"\bINTEGER\b"), "BIGINT"),
    (re.compile(r"\bREAL\b"), "DOUBLE PRECISION"),
    # Byte order, as SQLite compares: dedupe-key ranges and sort orders stay the same whatever
    # the database's locale.
    (re.compile(r"\bTEXT\b"), 'TEXT COLLATE "C"'),
    (re.compile(r"\)\s*WITHOUT ROWID"), ")"),
)


def for_postgresql(sql: str) -> str:
    """A SQLite migration in PostgreSQL's words: identity keys, 64-bit integers, double
    precision, byte-ordered text; SQLite's `WITHOUT ROWID` dropped."""
    for pattern, replacement in _PG_TYPES:
        sql = pattern.sub(replacement, sql)
    return sql
