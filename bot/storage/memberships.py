"""Who belongs to which Pos UKK group; a person is in at most one group at a time."""

from __future__ import annotations

import datetime as dt

from bot.base.clock import from_db, to_db
from bot.storage.records import Member
from bot.storage.sql import Connection


class MembershipRepository:
    def __init__(self, connection: Connection) -> None:
        self._db = connection

    async def active_group_id(self, user_id: int) -> int | None:
        async with self._db.execute(
            "SELECT group_id FROM memberships WHERE user_id = ? AND left_at IS NULL", (user_id,)
        ) as cursor:
            row = await cursor.fetchone()
        return int(row["group_id"]) if row else None

    async def join(self, user_id: int, group_id: int, now: dt.datetime) -> None:
        """Join `group_id`, leaving any group the person was in."""
        await self.leave(user_id, now)
        await self._db.execute(
            "INSERT INTO memberships (user_id, group_id, joined_at) VALUES (?, ?, ?)",
            (user_id, group_id, to_db(now)),
        )

    async def leave(self, user_id: int, now: dt.datetime) -> None:
        await self._db.execute(
            "UPDATE memberships SET left_at = ? WHERE user_id = ? AND left_at IS NULL",
            (to_db(now), user_id),
        )

    async def members(self, group_id: int) -> list[Member]:
        async with self._db.execute(
            "SELECT users.id, users.name, memberships.joined_at FROM memberships"
            " JOIN users ON users.id = memberships.user_id"
            " WHERE memberships.group_id = ? AND memberships.left_at IS NULL"
            " ORDER BY users.name",
            (group_id,),
        ) as cursor:
            rows = await cursor.fetchall()
        return [Member(row["id"], row["name"], from_db(row["joined_at"])) for row in rows]

    async def count(self, group_id: int) -> int:
        async with self._db.execute(
            "SELECT COUNT(*) FROM memberships WHERE group_id = ? AND left_at IS NULL", (group_id,)
        ) as cursor:
            row = await cursor.fetchone()
        assert row is not None
        return int(row[0])
