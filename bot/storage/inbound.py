"""Platform message ids already handled, so a redelivered webhook or update is dropped."""

from __future__ import annotations

import datetime as dt

from bot.base.clock import to_db
from bot.base.models import Channel
from bot.storage.sql import Connection


class InboundRepository:
    def __init__(self, connection: Connection) -> None:
        self._db = connection

    async def first_time(
        self, channel: Channel, message_id: str, user_ref: str, now: dt.datetime
    ) -> bool:
        """Record the id and who sent it; False if it was recorded before. Rolled back with its
        transaction."""
        cursor = await self._db.execute(
            "INSERT INTO inbound_seen (channel, message_id, user_ref, seen_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (channel, message_id) DO NOTHING",
            (channel.value, message_id, user_ref, to_db(now)),
        )
        return cursor.rowcount == 1
