"""Which card packs a person saved on the phone, and when one was last offered to them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import aiosqlite

from bot.base.clock import from_db, to_db


@dataclass(frozen=True)
class PackState:
    saved_at: dt.datetime | None
    offered_at: dt.datetime | None


class CardPackRepository:
    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._db = connection

    async def state(self, user_id: int, pack: str) -> PackState:
        async with self._db.execute(
            "SELECT saved_at, offered_at FROM card_packs WHERE user_id = ? AND pack = ?",
            (user_id, pack),
        ) as cursor:
            row = await cursor.fetchone()
        if row is None:
            return PackState(None, None)
        return PackState(_time(row["saved_at"]), _time(row["offered_at"]))

    async def saved(self, user_id: int, pack: str, now: dt.datetime) -> None:
        await self._db.execute(
            "INSERT INTO card_packs (user_id, pack, saved_at) VALUES (?, ?, ?)"
            " ON CONFLICT (user_id, pack) DO UPDATE SET saved_at = excluded.saved_at",
            (user_id, pack, to_db(now)),
        )

    async def offered(self, user_id: int, pack: str, now: dt.datetime) -> None:
        await self._db.execute(
            "INSERT INTO card_packs (user_id, pack, offered_at) VALUES (?, ?, ?)"
            " ON CONFLICT (user_id, pack) DO UPDATE SET offered_at = excluded.offered_at",
            (user_id, pack, to_db(now)),
        )


def _time(value: str | None) -> dt.datetime | None:
    return from_db(value) if value else None
