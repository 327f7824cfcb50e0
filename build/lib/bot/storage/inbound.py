"""Platform message ids already handled, so a redelivered webhook or update is dropped."""

from __future__ import annotations

import datetime as dt

import aiosqlite

from bot.clock import to_db
from bot.models import Channel


class InboundRepository:
    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._db = connection

    async def first_time(self, channel: Channel, message_id: str, now: dt.datetime) -> bool:
        """Record the id; False if it was recorded before. Rolled back with its transaction."""
        cursor = await self._db.execute(
            "INSERT INTO inbound_seen (channel, message_id, seen_at) VALUES (?, ?, ?)"
            " ON CONFLICT (channel, message_id) DO NOTHING",
            (channel.value, message_id, to_db(now)),
        )
        return cursor.rowcount == 1
