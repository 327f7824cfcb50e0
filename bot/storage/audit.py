"""Who did what to whom, and when: grants, revocations, exports, broadcasts, status changes."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from bot.base.clock import from_db, to_db
from bot.storage.sql import Connection


@dataclass(frozen=True)
class AuditEntry:
    at: dt.datetime
    actor: str
    action: str
    subject: str
    detail: dict[str, Any]


class AuditRepository:
    def __init__(self, connection: Connection) -> None:
        self._db = connection

    async def record(
        self, *, actor: str, action: str, subject: str, now: dt.datetime, **detail: Any
    ) -> None:
        await self._db.execute(
            "INSERT INTO audit_log (at, actor, action, subject, detail) VALUES (?, ?, ?, ?, ?)",
            (to_db(now), actor, action, subject, json.dumps(detail, ensure_ascii=False)),
        )

    async def recent(
        self, limit: int = 50, *, action: str | None = None, subject: str | None = None
    ) -> list[AuditEntry]:
        """The latest entries, newest first, of one action and/or subject when given."""
        async with self._db.execute(
            "SELECT at, actor, action, subject, detail FROM audit_log"
            " WHERE (CAST(:action AS TEXT) IS NULL OR action = :action)"
            " AND (CAST(:subject AS TEXT) IS NULL OR subject = :subject)"
            " ORDER BY id DESC LIMIT :limit",
            {"action": action, "subject": subject, "limit": limit},
        ) as cursor:
            rows = await cursor.fetchall()
        return [
            AuditEntry(
                from_db(r["at"]), r["actor"], r["action"], r["subject"], json.loads(r["detail"])
            )
            for r in rows
        ]
