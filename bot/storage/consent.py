"""The consent texts people agreed to, each version and language kept once."""

from __future__ import annotations

import datetime as dt

from bot.base.clock import to_db
from bot.storage.sql import Connection


class ConsentRepository:
    def __init__(self, connection: Connection) -> None:
        self._db = connection

    async def remember_text(self, version: str, language: str, text: str, now: dt.datetime) -> None:
        await self._db.execute(
            "INSERT INTO consent_texts (version, language, text, first_seen_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (version, language) DO NOTHING",
            (version, language, text, to_db(now)),
        )

    async def text(self, version: str, language: str) -> str | None:
        async with self._db.execute(
            "SELECT text FROM consent_texts WHERE version = ? AND language = ?", (version, language)
        ) as cursor:
            row = await cursor.fetchone()
        return str(row["text"]) if row else None
