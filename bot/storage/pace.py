"""One sending timeline per channel for every process on the database (PostgreSQL), so that
the platforms' overall rates hold for all processes together.

A process that wants to send reserves a span of time on the timeline: the span starts where
the last reservation of any process ended, or now if that has passed, and the row moves to its
end. Spans never overlap, so processes that fill only their own spans at the full rate send,
together, at no more than the full rate.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.base.models import Channel
from bot.storage.sql import Connection

_RESERVE = """
INSERT INTO send_pace AS p (channel, next_at)
VALUES (:channel, EXTRACT(EPOCH FROM statement_timestamp()) + :seconds)
ON CONFLICT (channel) DO UPDATE
SET next_at = GREATEST(p.next_at, EXTRACT(EPOCH FROM statement_timestamp())) + :seconds
RETURNING next_at - :seconds AS starts, EXTRACT(EPOCH FROM statement_timestamp()) AS now
"""


@dataclass(frozen=True)
class Span:
    """Reserved sending time: it starts at `starts` (the server's epoch seconds), `starts_in`
    seconds from when the server answered (0 if at once)."""

    starts: float
    starts_in: float


class SendPace:
    def __init__(self, connection: Connection) -> None:
        self._db = connection

    async def reserve(self, channel: Channel, seconds: float) -> Span:
        """Reserve the next `seconds` of `channel`'s timeline (the server's clock, so the
        processes' own clocks need not agree)."""
        async with self._db.execute(
            _RESERVE, {"channel": channel.value, "seconds": seconds}
        ) as cursor:
            row = await cursor.fetchone()
        assert row is not None, "an upsert with RETURNING returns its row"
        starts = float(row["starts"])
        return Span(starts=starts, starts_in=max(0.0, starts - float(row["now"])))
