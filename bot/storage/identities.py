"""A person's other chat-app identities, and the one-time codes that link them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

from bot.base.clock import to_db
from bot.base.models import Channel
from bot.storage.groups import new_join_code
from bot.storage.sql import Connection


class IdentityRepository:
    def __init__(self, connection: Connection) -> None:
        self._db = connection

    async def new_code(self, user_id: int, now: dt.datetime, valid_for: dt.timedelta) -> str:
        """A fresh code (in the join-code alphabet: easy to read and type) for this person;
        any earlier one of theirs stops working."""
        await self._db.execute("DELETE FROM link_codes WHERE user_id = ?", (user_id,))
        while True:
            code = new_join_code()
            cursor = await self._db.execute(
                "INSERT INTO link_codes (code, user_id, expires_at) VALUES (?, ?, ?)"
                " ON CONFLICT (code) DO NOTHING",
                (code, user_id, to_db(now + valid_for)),
            )
            if cursor.rowcount == 1:
                return code

    async def owner_of(self, code: str, now: dt.datetime) -> int | None:
        """Whose code this is, if it is still valid."""
        async with self._db.execute(
            "SELECT user_id FROM link_codes WHERE code = ? AND expires_at > ?", (code, to_db(now))
        ) as cursor:
            row = await cursor.fetchone()
        return int(row["user_id"]) if row else None

    async def link(self, code: str, channel: Channel, platform_id: str, now: dt.datetime) -> int:
        """Use up a valid code: the identity becomes its owner's too; returns the owner's id."""
        owner = await self.owner_of(code, now)
        if owner is None:
            raise LookupError("no such valid code")
        await self._db.execute("DELETE FROM link_codes WHERE code = ?", (code,))
        await self._db.execute(
            "INSERT INTO user_identities (channel, platform_id, user_id, linked_at)"
            " VALUES (?, ?, ?, ?)",
            (channel.value, platform_id, owner, to_db(now)),
        )
        return owner

    async def prefer(self, user_id: int, channel: Channel, platform_id: str) -> None:
        """Messages to this person go to `channel` / `platform_id` from now on (they wrote from
        there last); their previous main identity is kept as a linked one."""
        async with self._db.execute(
            "SELECT channel, platform_id, created_at FROM users WHERE id = ?", (user_id,)
        ) as cursor:
            current = await cursor.fetchone()
        assert current is not None
        if (current["channel"], current["platform_id"]) == (channel.value, platform_id):
            return
        await self._db.execute(
            "DELETE FROM user_identities WHERE channel = ? AND platform_id = ? AND user_id = ?",
            (channel.value, platform_id, user_id),
        )
        await self._db.execute(
            "INSERT INTO user_identities (channel, platform_id, user_id, linked_at)"
            " VALUES (?, ?, ?, ?)",
            (current["channel"], current["platform_id"], user_id, current["created_at"]),
        )
        await self._db.execute(
            "UPDATE users SET channel = ?, platform_id = ? WHERE id = ?",
            (channel.value, platform_id, user_id),
        )

    async def fall_back(
        self,
        user_id: int,
        failed: tuple[Channel, str],
        channels: Collection[Channel],
        now: dt.datetime,
    ) -> Channel | None:
        """The person is unreachable at `failed` (channel, platform id): make their linked
        identity on another of `channels` the one messages go to, once (the failed one is
        marked, and never fallen back to); the channel now used, or None if there is none.
        If they already moved on (wrote from another app meanwhile), that app's channel."""
        async with self._db.execute(
            "SELECT channel, platform_id FROM users WHERE id = ?", (user_id,)
        ) as cursor:
            current = await cursor.fetchone()
        if current is None:
            return None
        if (current["channel"], current["platform_id"]) != (failed[0].value, failed[1]):
            return Channel(current["channel"])
        others = [c.value for c in channels if c != failed[0]]
        if not others:
            return None
        async with self._db.execute(
            "SELECT channel, platform_id FROM user_identities WHERE user_id = ?"
            f" AND unreachable_at IS NULL AND channel IN ({', '.join('?' * len(others))})"
            " ORDER BY linked_at DESC LIMIT 1",
            (user_id, *others),
        ) as cursor:
            linked = await cursor.fetchone()
        if linked is None:
            return None
        channel = Channel(linked["channel"])
        await self.prefer(user_id, channel, str(linked["platform_id"]))
        await self._db.execute(
            "UPDATE user_identities SET unreachable_at = ?"
            " WHERE channel = ? AND platform_id = ? AND user_id = ?",
            (to_db(now), failed[0].value, failed[1], user_id),
        )
        return channel
