"""The flood guard's counts in the database, so that several processes on one PostgreSQL count
a person's messages together (one process on SQLite counts in memory: `bot.core.flood`)."""

from __future__ import annotations

import datetime as dt

from bot.base.models import Channel
from bot.storage.sql import Connection

_WINDOW_SECONDS = 60.0

_KEPT = "ARRAY(SELECT t FROM unnest(f.recent) AS t WHERE t > :now - :window)"
"""The person's messages still within the last minute, before this one."""
_FLOODED = f"cardinality({_KEPT}) >= :per_minute"
"""This message is one too many."""
_PAUSED = "f.paused_until > :now"

_COUNT = f"""
INSERT INTO flood_counts AS f (channel, platform_id, recent, paused_until, verdict)
SELECT :channel, :platform_id, ARRAY[CAST(:now AS double precision)], 0, 'answer'
WHERE NOT EXISTS (
    SELECT 1 FROM sessions
    WHERE channel = :channel AND platform_id = :platform_id AND flow = :excused_flow
)
ON CONFLICT (channel, platform_id) DO UPDATE SET
    recent = CASE WHEN {_PAUSED} THEN f.recent
                  WHEN {_FLOODED} THEN '{{}}'
                  ELSE {_KEPT} || CAST(:now AS double precision) END,
    paused_until = CASE WHEN {_PAUSED} THEN f.paused_until
                        WHEN {_FLOODED} THEN :now + :pause
                        ELSE 0 END,
    verdict = CASE WHEN {_PAUSED} THEN 'ignore'
                   WHEN {_FLOODED} THEN 'warn'
                   ELSE 'answer' END
RETURNING verdict
"""


class FloodCounts:
    def __init__(self, connection: Connection) -> None:
        self._db = connection

    async def count(
        self,
        channel: Channel,
        platform_id: str,
        now: dt.datetime,
        *,
        per_minute: int,
        pause: dt.timedelta,
        excused_flow: str,
    ) -> str:
        """Count one message in one statement: 'answer', 'warn' (this one went over
        `per_minute` in the last minute: the pause starts) or 'ignore' (paused). While the
        person's stored session is in `excused_flow`, 'answer' and nothing is counted."""
        async with self._db.execute(
            _COUNT,
            {
                "channel": channel.value,
                "platform_id": platform_id,
                "now": now.timestamp(),
                "window": _WINDOW_SECONDS,
                "per_minute": per_minute,
                "pause": pause.total_seconds(),
                "excused_flow": excused_flow,
            },
        ) as cursor:
            row = await cursor.fetchone()
        return "answer" if row is None else str(row[0])

    async def forget_quiet(self, now: dt.datetime) -> int:
        """Delete the people neither paused nor heard from in the last minute; returns how
        many."""
        cursor = await self._db.execute(
            "DELETE FROM flood_counts WHERE paused_until <= :now"
            " AND NOT EXISTS (SELECT 1 FROM unnest(recent) AS t WHERE t > :now - :window)",
            {"now": now.timestamp(), "window": _WINDOW_SECONDS},
        )
        return cursor.rowcount

    async def tracked(self) -> int:
        """How many people have a count now."""
        async with self._db.execute("SELECT COUNT(*) FROM flood_counts") as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0
