"""Who said they will come to an activity occurrence, or not."""

from __future__ import annotations

import datetime as dt

from bot.base.clock import to_db
from bot.storage.sql import Connection


class RsvpRepository:
    def __init__(self, connection: Connection) -> None:
        self._db = connection

    async def answer(
        self, activity_id: int, starts_at: dt.datetime, user_id: int, answer: str, now: dt.datetime
    ) -> None:
        """Record or change an answer; the latest one counts."""
        await self._db.execute(
            "INSERT INTO rsvps (activity_id, starts_at, user_id, answer, answered_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (activity_id, starts_at, user_id)"
            " DO UPDATE SET answer = excluded.answer, answered_at = excluded.answered_at",
            (activity_id, to_db(starts_at), user_id, answer, to_db(now)),
        )

    async def counts(self, activity_id: int, starts_at: dt.datetime) -> dict[str, int]:
        async with self._db.execute(
            "SELECT answer, COUNT(*) FROM rsvps WHERE activity_id = ? AND starts_at = ?"
            " GROUP BY answer",
            (activity_id, to_db(starts_at)),
        ) as cursor:
            return {row[0]: int(row[1]) for row in await cursor.fetchall()}
