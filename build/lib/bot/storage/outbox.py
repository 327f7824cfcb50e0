"""Messages for people other than the one who just wrote, written in the same transaction.

Delivery (leases, rate limits, retries) is the scheduler's job; here is only what it needs to read
and mark.
"""

from __future__ import annotations

import datetime as dt

import aiosqlite

from bot.clock import to_db
from bot.models import Channel
from bot.storage.records import OutboxMessage


class OutboxRepository:
    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._db = connection

    async def enqueue(
        self,
        *,
        user_id: int,
        kind: str,
        payload: str,
        dedupe_key: str,
        now: dt.datetime,
        urgent: bool = False,
        not_before: dt.datetime | None = None,
    ) -> bool:
        """Add a message unless one with the same dedupe key exists; True if added."""
        cursor = await self._db.execute(
            "INSERT INTO outbox"
            " (user_id, kind, payload, dedupe_key, urgent, not_before, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (dedupe_key) DO NOTHING",
            (user_id, kind, payload, dedupe_key, int(urgent), to_db(not_before or now), to_db(now)),
        )
        return cursor.rowcount == 1

    async def due(
        self, channel: Channel, now: dt.datetime, limit: int = 100
    ) -> list[OutboxMessage]:
        async with self._db.execute(
            "SELECT outbox.id, outbox.user_id, users.channel, users.platform_id, users.name,"
            " outbox.kind, outbox.payload, outbox.attempts FROM outbox"
            " JOIN users ON users.id = outbox.user_id"
            " WHERE outbox.status = 'pending' AND outbox.not_before <= ? AND users.channel = ?"
            " ORDER BY outbox.urgent DESC, outbox.id LIMIT ?",
            (to_db(now), channel.value, limit),
        ) as cursor:
            rows = await cursor.fetchall()
        return [
            OutboxMessage(
                id=row["id"],
                user_id=row["user_id"],
                channel=Channel(row["channel"]),
                platform_id=row["platform_id"],
                recipient_name=row["name"],
                kind=row["kind"],
                payload=row["payload"],
                attempts=row["attempts"],
            )
            for row in rows
        ]

    async def mark_sent(self, message_id: int, now: dt.datetime) -> None:
        await self._db.execute(
            "UPDATE outbox SET status = 'sent', sent_at = ?, attempts = attempts + 1 WHERE id = ?",
            (to_db(now), message_id),
        )
