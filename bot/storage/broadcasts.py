"""Broadcasts, their recipients in the outbox, and the answers recipients send back.

Recipients are never held in memory: they are counted and queued by SQL, a batch at a time, in
user id order, so a broadcast to 100,000 people costs the same memory as one to ten.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from bot.base import keys
from bot.base.clock import from_db, to_db
from bot.storage.sql import Connection, Dialect, Row

OPEN_STATUSES = ("scheduled", "sending", "paused")
CANCELLED = "cancelled by its author"
"""`last_error` of the rows a cancel withdrew, so the report tells them from real failures."""
UNREACHABLE = "unreachable before the broadcast"
NO_CHANNEL = "their chat app is not connected to this bot"

# Who a broadcast reaches, given its groups, roles and language (named parameters below).
# Members of the groups (without those who are kader there, for "workers only"), and the
# groups' kader; never the author.
_RECIPIENTS = """
FROM users WHERE users.id <> :author
AND (CAST(:language AS TEXT) IS NULL OR users.language = :language)
AND (
    (:members AND EXISTS (
        SELECT 1 FROM memberships AS m WHERE m.user_id = users.id AND m.left_at IS NULL
        AND m.group_id IN ({groups})
        AND NOT (:workers_only AND EXISTS (
            SELECT 1 FROM role_grants AS k WHERE k.user_id = users.id AND k.role = 'kader'
            AND k.revoked_at IS NULL AND k.group_id = m.group_id))))
    OR (:kader AND EXISTS (
        SELECT 1 FROM role_grants AS k WHERE k.user_id = users.id AND k.role = 'kader'
        AND k.revoked_at IS NULL AND k.group_id IN ({groups})))
)"""

_IN_GROUPS = """
AND users.id IN (
    SELECT user_id FROM memberships WHERE left_at IS NULL
    AND group_id IN ({groups})
    UNION SELECT user_id FROM role_grants WHERE role = 'kader' AND revoked_at IS NULL
    AND group_id IN ({groups}))"""
"""The members and kader of the groups, among whom `_RECIPIENTS` finds every recipient. Added to
it, SQLite looks these people up instead of testing every user: a count costs its audience, not
the whole users table (a regency of 20 groups: 21 ms instead of 250 ms with 100,000 users)."""


@cache
def _audience_sql(dialect: Dialect) -> tuple[str, str]:
    """`_RECIPIENTS` and `_IN_GROUPS` with the groups read from the `:groups` JSON array."""
    groups = dialect.json_ints(":groups")
    return _RECIPIENTS.format(groups=groups), _IN_GROUPS.format(groups=groups)


@dataclass(frozen=True)
class Recipients:
    """Whom a broadcast reaches: members of `group_ids` by role, optionally of one language."""

    author_id: int
    group_ids: Sequence[int]
    roles: str  # all | kader | workers
    language: str | None

    def params(self) -> dict[str, object]:
        return {
            "author": self.author_id,
            "language": self.language,
            "groups": json.dumps(list(self.group_ids)),
            "members": self.roles in ("all", "workers"),
            "workers_only": self.roles == "workers",
            "kader": self.roles in ("all", "kader"),
        }


@dataclass(frozen=True)
class AudienceCount:
    """Recipients per channel that can be reached, and how many are known to be unreachable."""

    by_channel: dict[str, int]
    unreachable: int

    @property
    def reachable(self) -> int:
        return sum(self.by_channel.values())


@dataclass(frozen=True)
class Broadcast:
    id: int
    author_id: int
    audience: dict[str, object]
    text: str
    photo: str | None
    status: str
    created_at: dt.datetime
    send_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    queued_through: int
    queued_all: bool
    progress_step: int
    progress_at: dt.datetime | None
    progress_count: int
    progress_row: int | None


@dataclass(frozen=True)
class Tally:
    """Where a broadcast's rows stand; `failures` are (reason, count), most common first."""

    pending: int = 0
    sent: int = 0
    failed: int = 0
    unreachable: int = 0
    cancelled: int = 0
    failures: tuple[tuple[str, int], ...] = ()
    chats: int = 0
    """Posts in group chats, counted apart from people."""
    chats_sent: int = 0
    chats_pending: int = 0
    rerouted: int = 0
    """Messages that could not reach someone on their app and went to their linked account."""

    @property
    def total(self) -> int:
        return self.pending + self.sent + self.failed + self.unreachable + self.cancelled

    @property
    def done(self) -> int:
        return self.total - self.pending

    @property
    def finished(self) -> bool:
        return self.pending == 0 and self.chats_pending == 0


@dataclass(frozen=True)
class BroadcastReply:
    id: int
    broadcast_id: int
    user_id: int
    text: str
    created_at: dt.datetime
    read_at: dt.datetime | None


def _optional_time(value: str | None) -> dt.datetime | None:
    return from_db(value) if value else None


def _broadcast(row: Row) -> Broadcast:
    return Broadcast(
        id=row["id"],
        author_id=row["author_id"],
        audience=json.loads(row["audience"]),
        text=row["text"],
        photo=row["photo"],
        status=row["status"],
        created_at=from_db(row["created_at"]),
        send_at=from_db(row["send_at"]),
        started_at=_optional_time(row["started_at"]),
        finished_at=_optional_time(row["finished_at"]),
        queued_through=row["queued_through"],
        queued_all=bool(row["queued_all"]),
        progress_step=row["progress_step"],
        progress_at=_optional_time(row["progress_at"]),
        progress_count=row["progress_count"],
        progress_row=row["progress_row"],
    )


class BroadcastRepository:
    def __init__(self, connection: Connection) -> None:
        self._db = connection
        self._recipients, self._in_groups = _audience_sql(connection.dialect)

    async def count_audience(self, recipients: Recipients) -> AudienceCount:
        async with self._db.execute(
            "SELECT users.channel, users.unreachable_at IS NOT NULL AS gone, COUNT(*) AS n"
            f" {self._recipients} {self._in_groups} GROUP BY 1, 2",
            recipients.params(),
        ) as cursor:
            rows = await cursor.fetchall()
        by_channel = {row["channel"]: int(row["n"]) for row in rows if not row["gone"]}
        return AudienceCount(by_channel, sum(int(row["n"]) for row in rows if row["gone"]))

    async def create(
        self,
        *,
        author_id: int,
        audience: dict[str, object],
        text: str,
        photo: str | None,
        send_at: dt.datetime,
        now: dt.datetime,
    ) -> int:
        return await self._db.insert(
            "INSERT INTO broadcasts (author_id, audience, text, photo, status, created_at, send_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                author_id,
                json.dumps(audience, ensure_ascii=False),
                text,
                photo,
                "scheduled",
                to_db(now),
                to_db(send_at),
            ),
        )

    async def get(self, broadcast_id: int) -> Broadcast | None:
        async with self._db.execute(
            "SELECT * FROM broadcasts WHERE id = ?", (broadcast_id,)
        ) as cursor:
            row = await cursor.fetchone()
        return _broadcast(row) if row else None

    async def by_author(self, author_id: int | None, limit: int) -> list[Broadcast]:
        """The latest broadcasts of one author, or of everyone when `author_id` is None."""
        async with self._db.execute(
            "SELECT * FROM broadcasts WHERE CAST(? AS BIGINT) IS NULL OR author_id = ?"
            " ORDER BY id DESC LIMIT ?",
            (author_id, author_id, limit),
        ) as cursor:
            return [_broadcast(row) for row in await cursor.fetchall()]

    async def open(self) -> list[Broadcast]:
        """Broadcasts still scheduled, sending or paused, oldest first."""
        async with self._db.execute(
            "SELECT * FROM broadcasts WHERE status IN ('scheduled', 'sending', 'paused')"
            " ORDER BY id"
        ) as cursor:
            return [_broadcast(row) for row in await cursor.fetchall()]

    async def set_status(
        self, broadcast_id: int, status: str, now: dt.datetime, *, expected: Sequence[str]
    ) -> bool:
        """Move a broadcast to `status` if it is in one of the `expected` ones; True if moved."""
        cursor = await self._db.execute(
            "UPDATE broadcasts SET status = ?,"
            " started_at = CASE WHEN ? = 'sending'"
            " THEN COALESCE(started_at, ?) ELSE started_at END,"
            " finished_at = CASE WHEN ? IN ('done', 'cancelled') THEN ? ELSE finished_at END"
            f" WHERE id = ? AND status IN ({', '.join('?' * len(expected))})",
            (status, status, to_db(now), status, to_db(now), broadcast_id, *expected),
        )
        return cursor.rowcount == 1

    async def queue_batch(
        self,
        broadcast: Broadcast,
        recipients: Recipients,
        payloads: dict[str, str],
        *,
        batch: int,
        now: dt.datetime,
        reply_token: str,
        reply_valid_until: dt.datetime,
        channels: Sequence[str],
    ) -> int:
        """Queue the next `batch` recipients after `queued_through`; how many were queued.

        `payloads` holds the rendered message per language. People known to be unreachable, or
        on a chat app this bot does not run (`channels` are the running ones), get a row marked
        unreachable, which the delivery job skips and the report counts. Recipients may answer
        with `reply_token` until `reply_valid_until`.
        """
        params = recipients.params() | {"after": broadcast.queued_through, "batch": batch}
        async with self._db.execute(
            "SELECT MAX(id) AS last, COUNT(*) AS n FROM"
            f" (SELECT users.id {self._recipients} AND users.id > :after"
            " ORDER BY users.id LIMIT :batch) AS batch_ids",
            params,
        ) as cursor:
            found = await cursor.fetchone()
        assert found is not None
        if not found["n"]:
            await self._db.execute(
                "UPDATE broadcasts SET queued_all = 1 WHERE id = ?", (broadcast.id,)
            )
            return 0
        stamp = to_db(now)
        running = self._db.dialect.json_values(":channels")
        await self._db.execute(
            "INSERT INTO outbox (user_id, kind, payload, dedupe_key, not_before, created_at,"
            " status, last_error, broadcast_id)"
            " SELECT users.id, 'broadcast',"
            " CASE users.language WHEN 'en' THEN :payload_en ELSE :payload_id END,"
            f" {keys.broadcast_to_sql(':broadcast', 'users.id')}, :now, :now,"
            " CASE WHEN users.unreachable_at IS NOT NULL OR users.channel NOT IN"
            f" ({running}) THEN 'unreachable'"
            " ELSE 'pending' END,"
            " CASE WHEN users.unreachable_at IS NOT NULL THEN :unreachable"
            f" WHEN users.channel NOT IN ({running})"
            " THEN :no_channel END, :broadcast"
            f" {self._recipients} AND users.id > :after AND users.id <= :last"
            " ON CONFLICT (dedupe_key) DO NOTHING",
            params
            | {
                "payload_id": payloads["id"],
                "payload_en": payloads["en"],
                "broadcast": broadcast.id,
                "now": stamp,
                "unreachable": UNREACHABLE,
                "no_channel": NO_CHANNEL,
                "channels": json.dumps(list(channels)),
                "last": found["last"],
            },
        )
        # The batch's rows by their dedupe keys: by broadcast and status it would read every
        # row queued so far, each batch slower than the last (70 ms a batch at 100,000).
        await self._db.execute(
            "INSERT INTO standing_offers (user_id, token, expires_at)"
            " SELECT users.id, ?, ? FROM users JOIN outbox"
            f" ON outbox.dedupe_key = {keys.broadcast_to_sql('?', 'users.id')}"
            " WHERE users.id > ? AND users.id <= ? AND outbox.status = 'pending'"
            " ON CONFLICT (user_id, token) DO UPDATE SET expires_at = excluded.expires_at",
            (reply_token, to_db(reply_valid_until), broadcast.id, broadcast.queued_through,
             found["last"]),
        )  # fmt: skip
        await self._db.execute(
            "UPDATE broadcasts SET queued_through = ? WHERE id = ?", (found["last"], broadcast.id)
        )
        return int(found["n"])

    async def tally(self, broadcast_id: int) -> Tally:
        """Where the rows stand. **Choice**: counted from the index on (broadcast_id, status)
        alone, then the few group chat posts and withdrawn rows apart: reading every row took
        230 ms with 100,000 recipients, and the scheduler tallies every open broadcast every
        five seconds, holding up people writing in. A withdrawn row is a failed one whose
        `last_error` is `CANCELLED` (a row in flight at the cancel that then went out is sent)."""
        async with self._db.execute(
            "SELECT status, COUNT(*) AS n FROM outbox WHERE broadcast_id = ? GROUP BY status",
            (broadcast_id,),
        ) as cursor:
            rows = {row["status"]: int(row["n"]) for row in await cursor.fetchall()}
        async with self._db.execute(
            "SELECT status, COUNT(*) AS n FROM outbox"
            f"{self._db.dialect.indexed_by('outbox_group_chat')}"
            " WHERE group_chat_id IS NOT NULL AND broadcast_id = ? GROUP BY status",
            (broadcast_id,),
        ) as cursor:
            chats = {row["status"]: int(row["n"]) for row in await cursor.fetchall()}
        async with self._db.execute(
            "SELECT COUNT(*) FROM outbox WHERE broadcast_id = ? AND status = 'failed'"
            " AND user_id IS NOT NULL AND last_error = ?",
            (broadcast_id, CANCELLED),
        ) as cursor:
            found = await cursor.fetchone()
        cancelled = int(found[0]) if found else 0
        people = {status: count - chats.get(status, 0) for status, count in rows.items()}
        people["failed"] = people.get("failed", 0) - cancelled
        async with self._db.execute(
            "SELECT last_error, COUNT(*) AS n FROM outbox WHERE broadcast_id = ?"
            " AND user_id IS NOT NULL AND status = 'failed' AND last_error <> ?"
            " GROUP BY last_error ORDER BY n DESC LIMIT 3",
            (broadcast_id, CANCELLED),
        ) as cursor:
            failures = tuple(
                (str(row["last_error"]), int(row["n"])) for row in await cursor.fetchall()
            )
        async with self._db.execute(
            "SELECT COUNT(*) FROM outbox WHERE broadcast_id = ? AND rerouted_from IS NOT NULL",
            (broadcast_id,),
        ) as cursor:
            found = await cursor.fetchone()
        return Tally(
            **people,
            cancelled=cancelled,
            failures=failures,
            chats=sum(chats.values()),
            chats_sent=chats.get("sent", 0),
            chats_pending=chats.get("pending", 0),
            rerouted=int(found[0]) if found else 0,
        )

    async def has_pending(self, broadcast_id: int) -> bool:
        """Whether any row of the broadcast, to a person or a group chat, is still to be sent."""
        async with self._db.execute(
            "SELECT 1 FROM outbox WHERE broadcast_id = ? AND status = 'pending' LIMIT 1",
            (broadcast_id,),
        ) as cursor:
            return await cursor.fetchone() is not None

    async def received(self, broadcast_id: int, user_id: int) -> bool:
        """Whether the broadcast was actually delivered to this person."""
        async with self._db.execute(
            "SELECT 1 FROM outbox WHERE broadcast_id = ? AND user_id = ? AND status = 'sent'",
            (broadcast_id, user_id),
        ) as cursor:
            return await cursor.fetchone() is not None

    async def withdraw(self, broadcast_id: int) -> int:
        """Stop every row not sent yet (a cancel); a row in flight that goes out counts as sent."""
        cursor = await self._db.execute(
            "UPDATE outbox SET status = 'failed', last_error = ?"
            " WHERE broadcast_id = ? AND status = 'pending'",
            (CANCELLED, broadcast_id),
        )
        return cursor.rowcount

    async def record_progress(
        self, broadcast_id: int, step: int, now: dt.datetime, row: int | None
    ) -> None:
        await self._db.execute(
            "UPDATE broadcasts SET progress_step = ?, progress_at = ?, progress_row = ?,"
            " progress_count = progress_count + 1 WHERE id = ?",
            (step, to_db(now), row, broadcast_id),
        )

    async def add_reply(self, broadcast_id: int, user_id: int, text: str, now: dt.datetime) -> int:
        return await self._db.insert(
            "INSERT INTO broadcast_replies (broadcast_id, user_id, text, created_at)"
            " VALUES (?, ?, ?, ?)",
            (broadcast_id, user_id, text, to_db(now)),
        )

    async def replies_for(self, author_id: int, limit: int) -> list[BroadcastReply]:
        """The latest answers to `author_id`'s broadcasts, newest first."""
        async with self._db.execute(
            "SELECT r.* FROM broadcast_replies AS r JOIN broadcasts AS b ON b.id = r.broadcast_id"
            " WHERE b.author_id = ? ORDER BY r.id DESC LIMIT ?",
            (author_id, limit),
        ) as cursor:
            return [
                BroadcastReply(
                    id=row["id"],
                    broadcast_id=row["broadcast_id"],
                    user_id=row["user_id"],
                    text=row["text"],
                    created_at=from_db(row["created_at"]),
                    read_at=_optional_time(row["read_at"]),
                )
                for row in await cursor.fetchall()
            ]

    async def unread_replies(self, author_id: int) -> int:
        async with self._db.execute(
            "SELECT COUNT(*) FROM broadcast_replies AS r JOIN broadcasts AS b"
            " ON b.id = r.broadcast_id WHERE b.author_id = ? AND r.read_at IS NULL",
            (author_id,),
        ) as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def mark_replies_read(self, author_id: int, now: dt.datetime) -> None:
        await self._db.execute(
            "UPDATE broadcast_replies SET read_at = ? WHERE read_at IS NULL AND broadcast_id IN"
            " (SELECT id FROM broadcasts WHERE author_id = ?)",
            (to_db(now), author_id),
        )
