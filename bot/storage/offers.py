"""Buttons in messages the bot sends on its own, valid for their recipient until they expire."""

from __future__ import annotations

import datetime as dt

from bot.base.clock import to_db
from bot.storage.sql import Connection


class OfferRepository:
    def __init__(self, connection: Connection) -> None:
        self._db = connection

    async def add(self, user_id: int, tokens: list[str], expires_at: dt.datetime) -> None:
        await self._db.executemany(
            "INSERT INTO standing_offers (user_id, token, expires_at) VALUES (?, ?, ?)"
            " ON CONFLICT (user_id, token) DO UPDATE SET expires_at = excluded.expires_at",
            [(user_id, token, to_db(expires_at)) for token in tokens],
        )

    async def valid(self, user_id: int, token: str, now: dt.datetime) -> bool:
        async with self._db.execute(
            "SELECT 1 FROM standing_offers WHERE user_id = ? AND token = ? AND expires_at > ?",
            (user_id, token, to_db(now)),
        ) as cursor:
            return await cursor.fetchone() is not None

    async def latest(self, user_id: int, prefix: str, now: dt.datetime) -> str | None:
        """The most recently offered valid token starting with `prefix`, if any."""
        async with self._db.execute(
            "SELECT token FROM standing_offers WHERE user_id = ? AND token LIKE ?"
            f" AND expires_at > ? ORDER BY {self._db.dialect.insertion_order} DESC LIMIT 1",
            (user_id, f"{prefix}%", to_db(now)),
        ) as cursor:
            row = await cursor.fetchone()
        return str(row["token"]) if row else None

    async def expire(self, user_id: int, now: dt.datetime) -> None:
        """Close every offer to this person (the demo's personas start with none open)."""
        await self._db.execute(
            "UPDATE standing_offers SET expires_at = ? WHERE user_id = ? AND expires_at > ?",
            (to_db(now), user_id, to_db(now)),
        )
