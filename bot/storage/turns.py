"""One person's messages one at a time, across every process on the database."""

from __future__ import annotations

from bot.storage.sql import Backend, Connection


class TurnLocks:
    def __init__(self, connection: Connection) -> None:
        self._db = connection

    async def hold(self, person: str) -> None:
        """Wait until no other transaction handles a message of `person` (channel and platform
        id), and keep the others waiting until this transaction ends. In one process the
        engine's lock per person does this already; on PostgreSQL several processes take a
        transaction-level advisory lock on the person's key. SQLite's transaction holds the
        file's one write lock, which is more."""
        if self._db.dialect.backend is Backend.POSTGRESQL:
            await self._db.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended(?, 0))", (f"turn:{person}",)
            )
