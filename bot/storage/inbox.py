"""The durable inbox's rows: updates as the platforms sent them, until they are handled."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from bot.base.clock import from_db, to_db
from bot.base.models import Channel
from bot.storage.sql import Connection, Row

STATUSES = "statuses"
"""The order key of the platform's reports on messages the bot sent (WhatsApp's statuses): no
person wrote them, nobody waits for an answer."""


def from_a_person(sender: str) -> bool:
    """Whether the updates of this order key were written by someone waiting for the answer."""
    return sender != STATUSES


@dataclass(frozen=True)
class Received:
    """One update as it came: the platform's id for it, who sent it (the order key), the raw
    JSON text."""

    update_ref: str
    sender: str
    raw: str


@dataclass(frozen=True)
class InboxRow:
    id: int
    channel: Channel
    update_ref: str
    sender: str
    raw: str
    received_at: dt.datetime
    answer: str | None
    """Handled: the answer still to be sent (`bot.core.inbox.Unsent` as JSON)."""


_COLUMNS = "id, channel, update_ref, sender, raw, received_at, answer"


def _row(row: Row) -> InboxRow:
    return InboxRow(
        id=row["id"],
        channel=Channel(row["channel"]),
        update_ref=row["update_ref"],
        sender=row["sender"],
        raw=row["raw"],
        received_at=from_db(row["received_at"]),
        answer=row["answer"],
    )


class InboxRepository:
    def __init__(self, connection: Connection) -> None:
        self._db = connection

    async def store(
        self, channel: Channel, updates: Sequence[Received], now: dt.datetime
    ) -> list[InboxRow]:
        """Keep `updates`; the rows new to the inbox (one stored before, or being handled,
        is not stored twice)."""
        stored: list[InboxRow] = []
        for update in updates:
            async with self._db.execute(
                f"INSERT INTO inbox (channel, update_ref, sender, raw, received_at)"
                f" VALUES (?, ?, ?, ?, ?) ON CONFLICT (channel, update_ref) DO NOTHING"
                f" RETURNING {_COLUMNS}",
                (channel.value, update.update_ref, update.sender, update.raw, to_db(now)),
            ) as cursor:
                stored.extend(_row(row) for row in await cursor.fetchall())
        return stored

    async def waiting(self) -> list[InboxRow]:
        """Every update stored and not failed, oldest first: to handle, or handled and to be
        answered (`answer`)."""
        async with self._db.execute(
            f"SELECT {_COLUMNS} FROM inbox WHERE failed_at IS NULL ORDER BY id"
        ) as cursor:
            return [_row(row) for row in await cursor.fetchall()]

    async def done(self, *row_ids: int) -> None:
        """Handled and answered: the rows go."""
        await self._db.executemany("DELETE FROM inbox WHERE id = ?", [(i,) for i in row_ids])

    async def answering(self, row_id: int, answer: str) -> None:
        """Handled (in the transaction that holds its effects); `answer` is still to be sent."""
        await self._db.execute("UPDATE inbox SET answer = ? WHERE id = ?", (answer, row_id))

    async def fail(self, row_id: int, reason: str, now: dt.datetime) -> bool:
        """Could not be handled: kept with the reason, never tried again. False if the update
        was handled after all (the failure came later, while answering)."""
        cursor = await self._db.execute(
            "UPDATE inbox SET failed_at = ?, error = ? WHERE id = ? AND answer IS NULL",
            (to_db(now), reason[:500], row_id),
        )
        return cursor.rowcount == 1

    async def failed(self) -> list[tuple[InboxRow, str]]:
        """The updates that could not be handled, with the reason."""
        async with self._db.execute(
            f"SELECT {_COLUMNS}, error FROM inbox WHERE failed_at IS NOT NULL ORDER BY id"
        ) as cursor:
            return [(_row(row), str(row["error"])) for row in await cursor.fetchall()]
