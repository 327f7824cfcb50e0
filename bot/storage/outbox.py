"""Messages for people other than the one who just wrote, written in the same transaction.

Delivery (leases, rate limits, retries) is the scheduler's job; here is only what it needs to read
and mark.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bot.base import keys
from bot.base.clock import from_db, to_db
from bot.base.models import Channel
from bot.storage.records import OutboxMessage, SentMark
from bot.storage.sql import Connection


def _prefix_bounds(prefix: str) -> tuple[str, str]:
    """The range of dedupe keys that start with `prefix`: `key >= low AND key < high` walks the
    keys' unique index, where `LIKE 'prefix%'` reads every row (LIKE ignores case, the index
    does not)."""
    if not prefix:
        raise ValueError("an empty prefix bounds nothing")
    return prefix, prefix[:-1] + chr(ord(prefix[-1]) + 1)


@dataclass(frozen=True)
class Holder:
    """A process claiming rows while other processes claim from the same outbox (PostgreSQL):
    its name, and how long a chat stays its own after a message it sent there, so the chat's
    spacing holds (seconds; to a person, to a group chat)."""

    name: str
    chat_interval: float
    group_chat_interval: float


_HELD_ELSEWHERE = (
    " AND NOT EXISTS (SELECT 1 FROM outbox AS held WHERE held.{column} = outbox.{column}"
    " AND held.claimed_by <> ? AND (held.status = 'pending' AND held.claimed_until >= ?"
    " OR held.status = 'sent' AND held.sent_at >= ?))"
)
"""A chat is another process's while it holds a lease on one of the chat's rows, and for the
chat's spacing after that process sent one (sent_at is kept to the second, rounded down, so
the spacing is kept, or up to a second more)."""


class OutboxRepository:
    def __init__(self, connection: Connection) -> None:
        self._db = connection
        self.queued = False
        """A row was queued in this unit of work: the delivery worker is woken after the commit
        (`Database.when_queued`)."""

    async def enqueue(
        self,
        *,
        user_id: int | None = None,
        group_chat_id: int | None = None,
        kind: str,
        payload: str,
        dedupe_key: str,
        now: dt.datetime,
        urgent: bool = False,
        not_before: dt.datetime | None = None,
        broadcast_id: int | None = None,
    ) -> bool:
        """Add a message for a person or a group chat unless one with the same dedupe key
        exists; True if added."""
        if (user_id is None) == (group_chat_id is None):
            raise ValueError("an outbox row goes to exactly one person or one group chat")
        keys.check_dedupe_key(dedupe_key)
        cursor = await self._db.execute(
            "INSERT INTO outbox (user_id, group_chat_id, kind, payload, dedupe_key, urgent,"
            " not_before, created_at, broadcast_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (dedupe_key) DO NOTHING",
            (user_id, group_chat_id, kind, payload, dedupe_key, int(urgent),
             to_db(not_before or now), to_db(now), broadcast_id),
        )  # fmt: skip
        added = cursor.rowcount == 1
        self.queued = self.queued or added
        return added

    async def id_of(self, dedupe_key: str) -> int | None:
        async with self._db.execute(
            "SELECT id FROM outbox WHERE dedupe_key = ?", (dedupe_key,)
        ) as cursor:
            row = await cursor.fetchone()
        return int(row["id"]) if row else None

    async def queued_since(self, dedupe_prefix: str, since: dt.datetime) -> int:
        """How many messages of one event were queued at or after `since`."""
        async with self._db.execute(
            "SELECT COUNT(*) FROM outbox WHERE dedupe_key >= ? AND dedupe_key < ?"
            " AND created_at >= ?",
            (*_prefix_bounds(dedupe_prefix), to_db(since)),
        ) as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def record_dropped(
        self, *, user_id: int, kind: str, dedupe_key: str, now: dt.datetime, reason: str
    ) -> bool:
        """Note that a message was never sent and never will be; True the first time only."""
        keys.check_dedupe_key(dedupe_key)
        cursor = await self._db.execute(
            "INSERT INTO outbox (user_id, kind, payload, dedupe_key, not_before, created_at,"
            " status, last_error) VALUES (?, ?, '{}', ?, ?, ?, 'failed', ?)"
            " ON CONFLICT (dedupe_key) DO NOTHING",
            (user_id, kind, dedupe_key, to_db(now), to_db(now), reason),
        )
        return cursor.rowcount == 1

    async def claim(
        self,
        channel: Channel,
        now: dt.datetime,
        lease_until: dt.datetime,
        limit: int,
        default_timezone: str = "UTC",
        holder: Holder | None = None,
    ) -> list[OutboxMessage]:
        """Take up to `limit` due rows for `channel` until `lease_until`: urgent ones first,
        broadcasts (bulk) last, rows of a paused broadcast not at all.

        A row whose lease ran out (its worker crashed) is due again. Each claim counts an attempt.
        **Choice**: `INDEXED BY outbox_claim` walks pending rows in claim order and stops after
        `limit`; left to itself SQLite sorted every pending row (133 ms a claim with 100,000
        broadcast rows pending, 2.3 ms with the index).

        With a `holder` (several processes), a chat's rows are in one process at a time: the
        claim passes over the chats another process holds (`_HELD_ELSEWHERE`), and the claims
        of one channel take turns (a transaction-level advisory lock), so two claims never
        take rows of one chat side by side.
        """
        stamp = to_db(now)
        held = ""
        held_params: tuple[str, ...] = ()
        if holder is not None:
            await self._db.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended(?, 0))", (f"claim:{channel.value}",)
            )
            held = _HELD_ELSEWHERE.format(column="user_id") + _HELD_ELSEWHERE.format(
                column="group_chat_id"
            )
            held_params = (
                holder.name, stamp, to_db(now - dt.timedelta(seconds=holder.chat_interval)),
                holder.name, stamp, to_db(now - dt.timedelta(seconds=holder.group_chat_interval)),
            )  # fmt: skip
        async with self._db.execute(
            "SELECT outbox.id, outbox.user_id, outbox.group_chat_id,"
            " COALESCE(users.channel, group_chats.channel) AS channel,"
            " COALESCE(users.platform_id, group_chats.chat_ref) AS platform_id, outbox.payload,"
            " outbox.attempts + 1 AS attempts, outbox.urgent, outbox.kind,"
            " COALESCE(users.language, group_chats.language) AS language,"
            " users.last_seen_at, outbox.broadcast_id IS NOT NULL AS bulk,"
            " users.away_until, COALESCE(pos_groups.timezone, ?) AS timezone,"
            " outbox.template_only"
            f" FROM outbox{self._db.dialect.indexed_by('outbox_claim')}"
            " LEFT JOIN users ON users.id = outbox.user_id"
            " LEFT JOIN group_chats ON group_chats.id = outbox.group_chat_id"
            " LEFT JOIN memberships"
            " ON memberships.user_id = users.id AND memberships.left_at IS NULL"
            " LEFT JOIN pos_groups"
            " ON pos_groups.id = COALESCE(memberships.group_id, group_chats.group_id)"
            " WHERE outbox.status = 'pending' AND outbox.not_before <= ?"
            " AND COALESCE(users.channel, group_chats.channel) = ?"
            " AND users.unreachable_at IS NULL AND group_chats.unlinked_at IS NULL"
            " AND (outbox.claimed_until IS NULL OR outbox.claimed_until < ?)"
            " AND (outbox.broadcast_id IS NULL OR outbox.broadcast_id NOT IN"
            " (SELECT id FROM broadcasts WHERE status = 'paused'))"
            f"{held}"
            " ORDER BY outbox.urgent DESC, outbox.broadcast_id IS NOT NULL, outbox.id LIMIT ?"
            f"{self._db.dialect.skip_locked('outbox')}",
            (default_timezone, stamp, channel.value, stamp, *held_params, limit),
        ) as cursor:
            rows = await cursor.fetchall()
        claimed = [
            OutboxMessage(
                id=row["id"],
                user_id=row["user_id"],
                group_chat_id=row["group_chat_id"],
                channel=Channel(row["channel"]),
                platform_id=row["platform_id"],
                payload=row["payload"],
                attempts=row["attempts"],
                urgent=bool(row["urgent"]),
                bulk=bool(row["bulk"]),
                kind=row["kind"],
                language=row["language"],
                last_seen_at=from_db(row["last_seen_at"]) if row["last_seen_at"] else None,
                timezone=row["timezone"],
                away_until=from_db(row["away_until"]) if row["away_until"] else None,
                template_only=bool(row["template_only"]),
                claimed_until=lease_until,
            )
            for row in rows
        ]
        if holder is None:
            await self._db.executemany(
                "UPDATE outbox SET claimed_until = ?, attempts = attempts + 1 WHERE id = ?",
                [(to_db(lease_until), message.id) for message in claimed],
            )
        else:
            await self._db.executemany(
                "UPDATE outbox SET claimed_until = ?, claimed_by = ?, attempts = attempts + 1"
                " WHERE id = ?",
                [(to_db(lease_until), holder.name, message.id) for message in claimed],
            )
        return claimed

    async def mark_sent(
        self, message_id: int, now: dt.datetime, platform_message_id: str | None = None
    ) -> None:
        await self._db.execute(
            "UPDATE outbox SET status = 'sent', sent_at = ?, claimed_until = NULL,"
            " last_error = NULL, platform_message_id = ? WHERE id = ?",
            (to_db(now), platform_message_id, message_id),
        )

    async def pushed_since(
        self, user_id: int, since: dt.datetime | None, limit: int = 20
    ) -> list[tuple[str, dt.datetime]]:
        """The payloads and times of the messages the bot sent `user_id` on its own (not
        replies to their messages) since `since` (the same second counts: times are kept to the
        second, and such a message went out after the reply of that moment), newest first, at
        most `limit`."""
        async with self._db.execute(
            "SELECT payload, sent_at FROM outbox WHERE user_id = ? AND status = 'sent'"
            " AND sent_at >= ? AND kind <> 'reply' ORDER BY sent_at DESC, id DESC LIMIT ?",
            (user_id, to_db(since) if since else "", limit),
        ) as cursor:
            return [
                (str(row["payload"]), from_db(row["sent_at"])) for row in await cursor.fetchall()
            ]

    async def rerouted(self, message_id: int, user_id: int, failed: Channel, error: str) -> None:
        """The person moved to another app after `message_id` found them unreachable on
        `failed`: the row says so, and it and every row of theirs claimed with it are free to be
        taken again at once (for the app messages now go to)."""
        await self._db.execute(
            "UPDATE outbox SET rerouted_from = ?, last_error = ? WHERE id = ?",
            (failed.value, error, message_id),
        )
        await self._db.execute(
            "UPDATE outbox SET claimed_until = NULL"
            " WHERE user_id = ? AND status = 'pending' AND claimed_until IS NOT NULL",
            (user_id,),
        )
        self.queued = True

    async def mark_all_sent(self, marks: list[SentMark]) -> None:
        """`mark_sent` for several rows at once (sends that finished together)."""
        await self._db.executemany(
            "UPDATE outbox SET status = 'sent', sent_at = ?, claimed_until = NULL,"
            " last_error = NULL, platform_message_id = ? WHERE id = ?",
            [(to_db(mark.at), mark.platform_message_id, mark.message_id) for mark in marks],
        )

    async def replace_unsent(self, message_id: int, payload: str, now: dt.datetime) -> bool:
        """Put a new payload in a row nobody has taken yet; False if it is sent or in flight."""
        cursor = await self._db.execute(
            "UPDATE outbox SET payload = ? WHERE id = ? AND status = 'pending'"
            " AND (claimed_until IS NULL OR claimed_until < ?)",
            (payload, message_id, to_db(now)),
        )
        return cursor.rowcount == 1

    async def platform_message_id(self, message_id: int) -> str | None:
        """The platform's id of a sent row (to edit that message later), if it gave one."""
        async with self._db.execute(
            "SELECT platform_message_id FROM outbox WHERE id = ? AND status = 'sent'",
            (message_id,),
        ) as cursor:
            row = await cursor.fetchone()
        return row["platform_message_id"] if row else None

    async def reschedule(
        self, message_id: int, not_before: dt.datetime, error: str | None, *, refund: bool
    ) -> None:
        """Try again at `not_before`; `refund` gives the attempt back (a rate limit is no fault)."""
        await self._db.execute(
            "UPDATE outbox SET not_before = ?, claimed_until = NULL, last_error = ?,"
            " attempts = attempts - ? WHERE id = ? AND status = 'pending'",
            (to_db(not_before), error, int(refund), message_id),
        )

    async def mark_delivered(self, platform_message_id: str, at: dt.datetime) -> bool:
        """False if no message has that id (yet)."""
        cursor = await self._db.execute(
            "UPDATE outbox SET delivered_at = COALESCE(delivered_at, ?)"
            " WHERE platform_message_id = ?",
            (to_db(at), platform_message_id),
        )
        return cursor.rowcount > 0

    async def mark_read(self, platform_message_id: str, at: dt.datetime) -> bool:
        """Read implies delivered (statuses arrive out of order, or not at all). False if no
        message has that id (yet)."""
        cursor = await self._db.execute(
            "UPDATE outbox SET read_at = COALESCE(read_at, ?),"
            " delivered_at = COALESCE(delivered_at, ?) WHERE platform_message_id = ?",
            (to_db(at), to_db(at), platform_message_id),
        )
        return cursor.rowcount > 0

    async def in_flight_to(self, channel: Channel, platform_id: str, now: dt.datetime) -> bool:
        """Whether a message to this person is being sent right now (claimed, not yet marked
        sent): a status about it can come before its id is written."""
        async with self._db.execute(
            "SELECT 1 FROM outbox JOIN users ON users.id = outbox.user_id"
            " WHERE users.channel = ? AND users.platform_id = ? AND outbox.status = 'pending'"
            " AND outbox.claimed_until > ? LIMIT 1",
            (channel.value, platform_id, to_db(now)),
        ) as cursor:
            return await cursor.fetchone() is not None

    async def failed_after_send(
        self, platform_message_id: str, error: str, *, again: bool, as_template: bool = False
    ) -> int | None:
        """The platform accepted a message, then could not deliver it: send it `again` (as a
        template if `as_template`), or mark it failed. Returns the recipient's user id."""
        async with self._db.execute(
            "SELECT id, user_id FROM outbox WHERE platform_message_id = ? AND status = 'sent'",
            (platform_message_id,),
        ) as cursor:
            row = await cursor.fetchone()
        if row is None:
            return None
        await self._db.execute(
            "UPDATE outbox SET status = ?, last_error = ?, platform_message_id = NULL,"
            " template_only = template_only OR ?, sent_at = NULL WHERE id = ?",
            ("pending" if again else "failed", error, int(as_template), row["id"]),
        )
        return int(row["user_id"]) if row["user_id"] is not None else None

    async def require_template(self, message_id: int) -> None:
        await self._db.execute("UPDATE outbox SET template_only = 1 WHERE id = ?", (message_id,))

    async def mark_failed(self, message_id: int, error: str) -> None:
        await self._db.execute(
            "UPDATE outbox SET status = 'failed', claimed_until = NULL, last_error = ?"
            " WHERE id = ?",
            (error, message_id),
        )

    async def mark_recipient_unreachable(self, user_id: int, now: dt.datetime, error: str) -> int:
        """The person cannot be reached: mark them, and every pending message to them."""
        await self._db.execute(
            "UPDATE users SET unreachable_at = ? WHERE id = ?", (to_db(now), user_id)
        )
        cursor = await self._db.execute(
            "UPDATE outbox SET status = 'unreachable', claimed_until = NULL, last_error = ?"
            " WHERE user_id = ? AND status = 'pending'",
            (error, user_id),
        )
        return cursor.rowcount

    async def sent_recipients(self, dedupe_prefix: str, not_below: str) -> list[int]:
        """Who was sent a message of one event whose dedupe key sorts at or after `not_below`."""
        low, high = _prefix_bounds(dedupe_prefix)
        async with self._db.execute(
            "SELECT DISTINCT user_id FROM outbox WHERE dedupe_key >= ? AND dedupe_key < ?"
            " AND status = 'sent' ORDER BY user_id",
            (max(low, not_below), high),
        ) as cursor:
            return [int(row["user_id"]) for row in await cursor.fetchall()]

    async def keys(self, dedupe_prefix: str, not_below: str) -> set[str]:
        """The dedupe keys of one event's messages that sort at or after `not_below`."""
        low, high = _prefix_bounds(dedupe_prefix)
        async with self._db.execute(
            "SELECT dedupe_key FROM outbox WHERE dedupe_key >= ? AND dedupe_key < ?",
            (max(low, not_below), high),
        ) as cursor:
            return {str(row["dedupe_key"]) for row in await cursor.fetchall()}

    async def withdraw(self, dedupe_prefix: str, reason: str) -> int:
        """Stop for good the pending messages of one event (a cancelled activity's reminders)."""
        cursor = await self._db.execute(
            "UPDATE outbox SET status = 'failed', last_error = ?, claimed_until = NULL"
            " WHERE dedupe_key >= ? AND dedupe_key < ? AND status = 'pending'",
            (reason, *_prefix_bounds(dedupe_prefix)),
        )
        return cursor.rowcount

    async def discard_pending(self, dedupe_prefix: str, now: dt.datetime) -> int:
        """Forget pending messages of one event that no worker holds, so they can be rebuilt."""
        cursor = await self._db.execute(
            "DELETE FROM outbox WHERE dedupe_key >= ? AND dedupe_key < ? AND status = 'pending'"
            " AND (claimed_until IS NULL OR claimed_until < ?)",
            (*_prefix_bounds(dedupe_prefix), to_db(now)),
        )
        return cursor.rowcount
