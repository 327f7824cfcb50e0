"""People who agreed to use the bot."""

from __future__ import annotations

import datetime as dt

from bot.base.clock import from_db, to_db
from bot.base.models import Channel
from bot.storage.records import User
from bot.storage.sql import Connection, Row

_COLUMNS = (
    "id, channel, platform_id, name, phone, language, consent_version, consent_at, created_at"
)


def _user(row: Row) -> User:
    return User(
        id=row["id"],
        channel=Channel(row["channel"]),
        platform_id=row["platform_id"],
        name=row["name"],
        phone=row["phone"],
        language=row["language"],
        consent_version=row["consent_version"],
        consent_at=from_db(row["consent_at"]),
        created_at=from_db(row["created_at"]),
    )


class UserRepository:
    def __init__(self, connection: Connection) -> None:
        self._db = connection

    async def by_platform(self, channel: Channel, platform_id: str) -> User | None:
        """The person behind a chat-app identity: their main one, or one they linked."""
        async with self._db.execute(
            f"SELECT {_COLUMNS} FROM users WHERE channel = ? AND platform_id = ?"
            f" UNION ALL SELECT {_COLUMNS} FROM users WHERE id ="
            " (SELECT user_id FROM user_identities WHERE channel = ? AND platform_id = ?)",
            (channel.value, platform_id, channel.value, platform_id),
        ) as cursor:
            row = await cursor.fetchone()
        return _user(row) if row else None

    async def get(self, user_id: int) -> User | None:
        """The person, unless they are unknown or erased."""
        async with self._db.execute(
            f"SELECT {_COLUMNS} FROM users WHERE id = ? AND erased_at IS NULL", (user_id,)
        ) as cursor:
            row = await cursor.fetchone()
        return _user(row) if row else None

    async def many(self, user_ids: list[int]) -> list[User]:
        """The users with these ids that exist, in id order."""
        if not user_ids:
            return []
        marks = ", ".join("?" for _ in user_ids)
        async with self._db.execute(
            f"SELECT {_COLUMNS} FROM users WHERE id IN ({marks}) AND erased_at IS NULL ORDER BY id",
            tuple(user_ids),
        ) as cursor:
            return [_user(row) for row in await cursor.fetchall()]

    async def all(self) -> list[User]:
        """Everyone registered and not erased."""
        async with self._db.execute(
            f"SELECT {_COLUMNS} FROM users WHERE erased_at IS NULL ORDER BY id"
        ) as cursor:
            return [_user(row) for row in await cursor.fetchall()]

    async def staff(self, channel: Channel) -> list[User]:
        """Those on `channel`, not erased, who hold a role (kader, officer, admin): found from
        the grants, so it costs the same with 100,000 workers as with ten."""
        async with self._db.execute(
            f"SELECT {_COLUMNS} FROM users WHERE id IN"
            " (SELECT user_id FROM role_grants WHERE revoked_at IS NULL)"
            " AND channel = ? AND erased_at IS NULL ORDER BY id",
            (channel.value,),
        ) as cursor:
            return [_user(row) for row in await cursor.fetchall()]

    async def create(
        self,
        *,
        channel: Channel,
        platform_id: str,
        name: str,
        language: str,
        consent_version: str,
        now: dt.datetime,
        phone: str | None = None,
    ) -> User:
        stamp = to_db(now)
        user_id = await self._db.insert(
            "INSERT INTO users (channel, platform_id, name, phone, language, consent_version,"
            " consent_language, consent_at, created_at, last_seen_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                channel.value,
                platform_id,
                name,
                phone,
                language,
                consent_version,
                language,
                stamp,
                stamp,
                stamp,
            ),
        )
        created = await self.get(user_id)
        assert created is not None
        return created

    async def set_away(self, user_id: int, until: dt.datetime | None) -> None:
        await self._db.execute(
            "UPDATE users SET away_until = ? WHERE id = ?",
            (to_db(until) if until else None, user_id),
        )

    async def away_until(self, user_id: int) -> dt.datetime | None:
        async with self._db.execute(
            "SELECT away_until FROM users WHERE id = ?", (user_id,)
        ) as cursor:
            row = await cursor.fetchone()
        return from_db(row["away_until"]) if row and row["away_until"] else None

    async def agree(self, user_id: int, version: str, language: str, now: dt.datetime) -> None:
        """The person agreed to consent text `version`, read in `language`."""
        await self._db.execute(
            "UPDATE users SET consent_version = ?, consent_language = ?, consent_at = ?"
            " WHERE id = ?",
            (version, language, to_db(now), user_id),
        )

    async def set_name(self, user_id: int, name: str) -> None:
        await self._db.execute("UPDATE users SET name = ? WHERE id = ?", (name, user_id))

    async def set_phone(self, user_id: int, phone: str | None) -> None:
        await self._db.execute("UPDATE users SET phone = ? WHERE id = ?", (phone, user_id))

    async def set_language(self, user_id: int, language: str) -> None:
        await self._db.execute("UPDATE users SET language = ? WHERE id = ?", (language, user_id))

    async def touch(self, user_id: int, now: dt.datetime) -> None:
        await self._db.execute(
            "UPDATE users SET last_seen_at = ?, unreachable_at = NULL WHERE id = ?",
            (to_db(now), user_id),
        )
