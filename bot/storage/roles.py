"""Roles granted by an admin or officer: kader of a group, officer of a regency or group, admin."""

from __future__ import annotations

import datetime as dt

from bot.base.clock import to_db
from bot.storage.records import Grant, Role
from bot.storage.sql import Connection, Row


def _grant(row: Row) -> Grant:
    return Grant(row["id"], row["user_id"], Role(row["role"]), row["group_id"], row["regency"])


class RoleRepository:
    def __init__(self, connection: Connection) -> None:
        self._db = connection

    async def grant(
        self,
        *,
        user_id: int,
        role: Role,
        granted_by: str,
        now: dt.datetime,
        group_id: int | None = None,
        regency: str | None = None,
    ) -> Grant:
        new_id = await self._db.insert(
            "INSERT INTO role_grants (user_id, role, group_id, regency, granted_by, granted_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (user_id, role.value, group_id, regency, granted_by, to_db(now)),
        )
        return Grant(new_id, user_id, role, group_id, regency)

    async def revoke(self, grant_id: int, now: dt.datetime) -> bool:
        cursor = await self._db.execute(
            "UPDATE role_grants SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
            (to_db(now), grant_id),
        )
        return cursor.rowcount == 1

    async def active(self, user_id: int) -> list[Grant]:
        async with self._db.execute(
            "SELECT id, user_id, role, group_id, regency FROM role_grants"
            " WHERE user_id = ? AND revoked_at IS NULL ORDER BY id",
            (user_id,),
        ) as cursor:
            return [_grant(row) for row in await cursor.fetchall()]

    async def holder_ids(self, role: Role) -> list[int]:
        """Everyone holding `role` anywhere."""
        async with self._db.execute(
            "SELECT DISTINCT user_id FROM role_grants"
            " WHERE role = ? AND revoked_at IS NULL ORDER BY user_id",
            (role.value,),
        ) as cursor:
            return [int(row["user_id"]) for row in await cursor.fetchall()]

    async def kader_ids(self, group_id: int) -> list[int]:
        async with self._db.execute(
            "SELECT DISTINCT user_id FROM role_grants"
            " WHERE role = 'kader' AND group_id = ? AND revoked_at IS NULL ORDER BY user_id",
            (group_id,),
        ) as cursor:
            return [int(row["user_id"]) for row in await cursor.fetchall()]

    async def officer_ids(self, group_id: int, regency: str) -> list[int]:
        """Officers whose scope covers the group, by regency or by the group itself."""
        async with self._db.execute(
            "SELECT DISTINCT user_id FROM role_grants WHERE role = 'officer' AND revoked_at IS NULL"
            " AND (group_id = ? OR regency = ?) ORDER BY user_id",
            (group_id, regency),
        ) as cursor:
            return [int(row["user_id"]) for row in await cursor.fetchall()]
