"""The web dashboard's one-time links and sessions, by the hash of their token."""

from __future__ import annotations

import datetime as dt

import aiosqlite

from bot.base.clock import to_db


class WebLoginRepository:
    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._db = connection

    async def add_link(
        self, user_id: int, token_hash: str, now: dt.datetime, expires_at: dt.datetime
    ) -> None:
        """A new link for `user_id`; their older links not used yet stop working."""
        await self._db.execute(
            "UPDATE web_links SET used_at = ? WHERE user_id = ? AND used_at IS NULL",
            (to_db(now), user_id),
        )
        await self._db.execute(
            "INSERT INTO web_links (token_hash, user_id, created_at, expires_at)"
            " VALUES (?, ?, ?, ?)",
            (token_hash, user_id, to_db(now), to_db(expires_at)),
        )

    async def link_valid(self, token_hash: str, now: dt.datetime) -> bool:
        """Whether a link is neither used nor expired (looking does not use it)."""
        async with self._db.execute(
            "SELECT 1 FROM web_links WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?",
            (token_hash, to_db(now)),
        ) as cursor:
            return await cursor.fetchone() is not None

    async def use_link(self, token_hash: str, now: dt.datetime) -> int | None:
        """The user of a link neither used nor expired, which is used from now on; else None."""
        async with self._db.execute(
            "UPDATE web_links SET used_at = ? WHERE token_hash = ? AND used_at IS NULL"
            " AND expires_at > ? RETURNING user_id",
            (to_db(now), token_hash, to_db(now)),
        ) as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else None

    async def add_session(
        self, user_id: int, token_hash: str, now: dt.datetime, expires_at: dt.datetime
    ) -> None:
        await self._db.execute(
            "INSERT INTO web_sessions (token_hash, user_id, created_at, expires_at)"
            " VALUES (?, ?, ?, ?)",
            (token_hash, user_id, to_db(now), to_db(expires_at)),
        )

    async def session_user(self, token_hash: str, now: dt.datetime) -> int | None:
        """The user of a session still valid, else None."""
        async with self._db.execute(
            "SELECT user_id FROM web_sessions WHERE token_hash = ? AND expires_at > ?",
            (token_hash, to_db(now)),
        ) as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else None

    async def end_session(self, token_hash: str) -> None:
        await self._db.execute("DELETE FROM web_sessions WHERE token_hash = ?", (token_hash,))

    async def forget_expired(self, now: dt.datetime) -> None:
        """Delete links and sessions past their time."""
        for table in ("web_links", "web_sessions"):
            await self._db.execute(f"DELETE FROM {table} WHERE expires_at <= ?", (to_db(now),))
