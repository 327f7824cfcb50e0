"""Conversation state per person and channel, so a restart resumes where they were."""

from __future__ import annotations

import json

from bot.base.clock import from_db, to_db
from bot.base.models import Channel
from bot.storage.records import Session
from bot.storage.sql import Connection


class SessionRepository:
    def __init__(self, connection: Connection) -> None:
        self._db = connection

    async def load(self, channel: Channel, platform_id: str) -> Session | None:
        async with self._db.execute(
            "SELECT flow, step, language, draft, offered, updated_at FROM sessions"
            " WHERE channel = ? AND platform_id = ?",
            (channel.value, platform_id),
        ) as cursor:
            row = await cursor.fetchone()
        if row is None:
            return None
        return Session(
            flow=row["flow"],
            step=row["step"],
            language=row["language"],
            draft=json.loads(row["draft"]),
            offered=json.loads(row["offered"]),
            updated_at=from_db(row["updated_at"]),
        )

    async def save(self, channel: Channel, platform_id: str, session: Session) -> None:
        await self._db.execute(
            "INSERT INTO sessions (channel, platform_id, flow, step, language, draft, offered,"
            " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (channel, platform_id) DO UPDATE SET flow = excluded.flow,"
            " step = excluded.step, language = excluded.language, draft = excluded.draft,"
            " offered = excluded.offered, updated_at = excluded.updated_at",
            (
                channel.value,
                platform_id,
                session.flow,
                session.step,
                session.language,
                json.dumps(session.draft, ensure_ascii=False),
                json.dumps(session.offered, ensure_ascii=False),
                to_db(session.updated_at),
            ),
        )

    async def delete(self, channel: Channel, platform_id: str) -> None:
        await self._db.execute(
            "DELETE FROM sessions WHERE channel = ? AND platform_id = ?",
            (channel.value, platform_id),
        )
