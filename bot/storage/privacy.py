"""Forgetting: a person erased on request, and old data let go after its time.

Every table that can hold someone's identity is named here, so that one read of this file tells
what erasure removes. Incident reports are anonymised by `IncidentRepository`, shared with the
retention job.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from bot.base import keys
from bot.base.clock import to_db
from bot.storage.records import User
from bot.storage.sql import Connection

ERASED_NAME = ""
REDACTED = "(dihapus)"
"""What replaces an erased person's name on a button in someone else's open screen."""


PERSONAL_TABLES = {
    "users": "id",
    "user_identities": "user_id",
    "memberships": "user_id",
    "role_grants": "user_id",
    "incidents": "reporter_id",
    "rsvps": "user_id",
    "attendance": "user_id",
    "broadcast_replies": "user_id",
    "outbox": "user_id",
    "activity_days": "user_id",
    "card_packs": "user_id",
}
"""Every table with rows about one person, and the column naming them: what `/datasaya` sends."""


def erased_platform_id(user_id: int) -> str:
    """Keeps `users (channel, platform_id)` unique without the chat id: nothing can reach it."""
    return f"erased:{user_id}"


_OUTBOX_COLUMNS = "id, kind, payload, created_at, status, sent_at, delivered_at, read_at"


class PrivacyRepository:
    def __init__(self, connection: Connection) -> None:
        self._db = connection

    async def everything_about(self, user_id: int) -> dict[str, list[dict[str, object]]]:
        """Every row about the person, table by table (messages to them without the internal
        delivery columns), plus the consent text they agreed to."""
        found: dict[str, list[dict[str, object]]] = {}
        for table, column in PERSONAL_TABLES.items():
            columns = _OUTBOX_COLUMNS if table == "outbox" else "*"
            async with self._db.execute(
                f"SELECT {columns} FROM {table} WHERE {column} = ? ORDER BY 1, 2", (user_id,)
            ) as cursor:
                found[table] = [dict(row) for row in await cursor.fetchall()]
        async with self._db.execute(
            "SELECT consent_texts.* FROM consent_texts JOIN users"
            " ON users.consent_version = consent_texts.version"
            " AND users.consent_language = consent_texts.language WHERE users.id = ?",
            (user_id,),
        ) as cursor:
            found["consent_texts"] = [dict(row) for row in await cursor.fetchall()]
        return found

    async def erase(self, user: User, now: dt.datetime) -> None:
        """Remove everything that identifies `user`, keeping an empty row for the counts.

        Their chat ids (main and linked, and the ids of the messages they sent), sessions, flood
        counts, updates kept as failed, link codes and web dashboard logins go; their group
        membership and roles end; their answers to broadcasts go. The text of messages to them,
        and of messages to others about them (alerts about their reports, their SOS, their
        joining), is blanked, and those not sent yet are dropped; buttons naming them in
        others' open screens lose the name. Their reports are anonymised next, by
        `IncidentRepository.anonymise_reported_by`, which must come after this: it ends the link
        between them and their reports.
        """
        stamp = to_db(now)
        async with self._db.execute(
            "SELECT channel, platform_id FROM user_identities WHERE user_id = ?"
            " UNION ALL SELECT channel, platform_id FROM users WHERE id = ?",
            (user.id, user.id),
        ) as cursor:
            identities = [(row["channel"], row["platform_id"]) for row in await cursor.fetchall()]
        for table, column in (
            ("sessions", "platform_id"),
            ("inbound_seen", "user_ref"),
            ("inbox", "sender"),  # updates kept as failed
            ("flood_counts", "platform_id"),
        ):
            await self._db.executemany(
                f"DELETE FROM {table} WHERE channel = ? AND {column} = ?", identities
            )
        for table in (
            "user_identities",
            "link_codes",
            "standing_offers",
            "broadcast_replies",
            "card_packs",
            "web_links",
            "web_sessions",
        ):
            await self._db.execute(f"DELETE FROM {table} WHERE user_id = ?", (user.id,))
        await self._db.execute(
            "UPDATE memberships SET left_at = ? WHERE user_id = ? AND left_at IS NULL",
            (stamp, user.id),
        )
        await self._db.execute(
            "UPDATE role_grants SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL",
            (stamp, user.id),
        )
        await self._db.execute(
            "UPDATE outbox SET payload = '', platform_message_id = NULL,"
            " status = CASE status WHEN 'pending' THEN 'failed' ELSE status END,"
            " last_error = CASE status WHEN 'pending' THEN 'erased' ELSE last_error END"
            f" WHERE user_id = :user OR {keys.about_person_sql(':user')}",
            {"user": user.id},
        )
        await self._forget_in_open_screens(user.id)
        await self._db.execute(
            "UPDATE users SET name = ?, phone = NULL, platform_id = ?, away_until = NULL,"
            " erased_at = ? WHERE id = ?",
            (ERASED_NAME, erased_platform_id(user.id), stamp, user.id),
        )

    async def _forget_in_open_screens(self, user_id: int) -> None:
        """Blank the buttons naming the person in others' unfinished conversations: a kader's
        list of reports (`rv:<report>`) or of who attended (`att:u:<person>`)."""
        async with self._db.execute(
            "SELECT id FROM incidents WHERE reporter_id = ?", (user_id,)
        ) as cursor:
            reports = [int(row[0]) for row in await cursor.fetchall()]
        naming = {keys.reported_incident_token(n) for n in reports} | {keys.attendee_token(user_id)}
        dialect = self._db.dialect
        async with self._db.execute(
            "SELECT channel, platform_id, offered FROM sessions WHERE EXISTS (SELECT 1 FROM"
            f" {dialect.json_elements('offered')}"
            f" WHERE {dialect.json_field('value', 'token')} IN ({', '.join('?' for _ in naming)}))",
            sorted(naming),
        ) as cursor:
            rows = await cursor.fetchall()
        for row in rows:
            offered = [
                {**choice, "label": REDACTED} if choice["token"] in naming else choice
                for choice in json.loads(row["offered"])
            ]
            await self._db.execute(
                "UPDATE sessions SET offered = ? WHERE channel = ? AND platform_id = ?",
                (json.dumps(offered, ensure_ascii=False), row["channel"], row["platform_id"]),
            )

    async def forget_sent_texts(self, sent_before: dt.datetime) -> int:
        """Blank the text of messages delivered (or given up) before `sent_before`: their
        status and times stay for the counts; how many. No status report is awaited for them
        any more, so nothing will send them again."""
        cursor = await self._db.execute(
            "UPDATE outbox SET payload = '', platform_message_id = NULL"
            " WHERE payload != '' AND status != 'pending'"
            " AND created_at < ?",
            (to_db(sent_before),),
        )
        return cursor.rowcount

    async def forget_seen_messages(self, seen_before: dt.datetime) -> int:
        """Drop old platform message ids (a WhatsApp id encodes the sender's number), and the
        updates kept as failed since then; no platform redelivers a message that old."""
        cursor = await self._db.execute(
            "DELETE FROM inbound_seen WHERE seen_at < ?", (to_db(seen_before),)
        )
        failed = await self._db.execute(
            "DELETE FROM inbox WHERE failed_at < ?", (to_db(seen_before),)
        )
        return cursor.rowcount + failed.rowcount

    async def photos_in_use(self) -> set[str]:
        """Photo paths some report, broadcast or unfinished conversation still refers to."""
        voice, photo = (self._db.dialect.json_field("draft", field) for field in ("voice", "photo"))
        async with self._db.execute(
            "SELECT photo_ref AS ref FROM incidents WHERE photo_ref IS NOT NULL"
            " UNION SELECT voice_ref FROM incidents WHERE voice_ref IS NOT NULL"
            f" UNION SELECT {voice} FROM sessions WHERE {voice} IS NOT NULL"
            " UNION SELECT photo FROM broadcasts WHERE photo IS NOT NULL"
            f" UNION SELECT {photo} FROM sessions WHERE {photo} IS NOT NULL"
        ) as cursor:
            return {str(row[0]) for row in await cursor.fetchall()}

    async def attachments_in_use(self) -> set[str]:
        """File names of the pictures and documents that messages not yet sent will need."""
        photo, document = (
            self._db.dialect.json_field("payload", field) for field in ("photo", "document")
        )
        async with self._db.execute(
            f"SELECT {photo} AS path FROM outbox WHERE status = 'pending' AND {photo} IS NOT NULL"
            f" UNION SELECT {document} FROM outbox"
            f" WHERE status = 'pending' AND {document} IS NOT NULL"
        ) as cursor:
            return {Path(str(row[0])).name for row in await cursor.fetchall()}
