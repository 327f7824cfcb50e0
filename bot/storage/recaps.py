"""The counts behind a group's monthly indicators (`bot.reports.indicators`); all their SQL."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache

from bot.base import keys
from bot.base.clock import from_db, to_db
from bot.storage.sql import Connection, Dialect


@dataclass(frozen=True)
class ScheduledActivity:
    first_at: dt.datetime
    repeat: str
    cancelled_at: dt.datetime | None


# Named parameters: :group, :start, :end (the month, UTC text), :since (start of the window in
# which a member counts as active), :since_day / :end_day (the same as dates). A report's
# follow-ups are found by the range of their dedupe keys ("followup:<id>:" up to, not including,
# "followup:<id>;"), which walks the keys' index; a LIKE would read the whole outbox. The CROSS
# JOIN keeps the members' messages first: SQLite would otherwise start from every WhatsApp user.
_FOLLOWUPS = keys.followup_range_sql("i.id")
_MEMBERS_AT_END = """
SELECT m.user_id FROM memberships AS m WHERE m.group_id = :group AND m.joined_at < :end
AND (m.left_at IS NULL OR m.left_at >= :end)"""
_GROUP_INCIDENTS = "SELECT id FROM incidents WHERE group_id = :group"


@cache
def _counts_sql(dialect: Dialect) -> str:
    return f"""
    SELECT
      (SELECT COUNT(*) FROM ({_MEMBERS_AT_END}) AS member) AS members,
      (SELECT COUNT(*) FROM ({_MEMBERS_AT_END}) AS member WHERE
         EXISTS (SELECT 1 FROM activity_days AS d WHERE d.user_id = member.user_id
                 AND d.day >= :since_day AND d.day < :end_day)
         OR EXISTS (SELECT 1 FROM rsvps AS r WHERE r.user_id = member.user_id
                 AND r.answered_at >= :since AND r.answered_at < :end)
         OR EXISTS (SELECT 1 FROM attendance AS t WHERE t.user_id = member.user_id
                 AND t.starts_at >= :since AND t.starts_at < :end)) AS active_members,
      (SELECT COUNT(*) FROM role_grants WHERE role = 'kader' AND group_id = :group
         AND granted_at < :end AND (revoked_at IS NULL OR revoked_at >= :end)) AS kader,
      (SELECT COUNT(*) FROM activity_records AS r JOIN activities AS a ON a.id = r.activity_id
         WHERE a.group_id = :group AND r.held <> 0 AND r.starts_at >= :start AND r.starts_at < :end)
         AS activities_held,
      (SELECT COUNT(*) FROM attendance AS t
         JOIN activity_records AS r ON r.activity_id = t.activity_id AND r.starts_at = t.starts_at
         JOIN activities AS a ON a.id = t.activity_id
         WHERE a.group_id = :group AND r.held <> 0 AND t.starts_at >= :start AND t.starts_at < :end)
         AS attendances,
      (SELECT COUNT(*) FROM incidents WHERE group_id = :group AND kind = 'injury'
         AND created_at >= :start AND created_at < :end) AS injuries,
      (SELECT COUNT(*) FROM incidents WHERE group_id = :group AND kind = 'near_miss'
         AND created_at >= :start AND created_at < :end) AS near_misses,
      (SELECT COUNT(*) FROM incidents WHERE group_id = :group AND kind = 'injury'
         AND created_at >= :start AND created_at < :end AND first_action_at IS NOT NULL
         AND {dialect.days_between("first_action_at", "created_at")} <= :follow_up_days)
         AS followed_up,
      (SELECT COUNT(*) FROM incident_events WHERE action = 'referred'
         AND at >= :start AND at < :end AND incident_id IN ({_GROUP_INCIDENTS})) AS referrals,
      (SELECT COUNT(*) FROM incidents AS i JOIN outbox AS o
         ON o.dedupe_key >= {_FOLLOWUPS[0]} AND o.dedupe_key < {_FOLLOWUPS[1]}
         WHERE i.group_id = :group AND o.kind = 'followup' AND o.status = 'sent'
         AND o.sent_at >= :start AND o.sent_at < :end) AS followups_asked,
      (SELECT COUNT(*) FROM incident_events WHERE action LIKE 'followup!_%' ESCAPE '!'
         AND at >= :start AND at < :end AND incident_id IN ({_GROUP_INCIDENTS}))
         AS followups_answered,
      (SELECT COUNT(*) FROM outbox AS o WHERE o.broadcast_id IS NOT NULL AND o.status = 'sent'
         AND o.sent_at >= :start AND o.sent_at < :end
         AND o.user_id IN ({_MEMBERS_AT_END})) AS broadcast_messages,
      (SELECT COUNT(*) FROM outbox AS o CROSS JOIN users AS u
         WHERE u.id = o.user_id AND o.broadcast_id IS NOT NULL AND o.status = 'sent'
         AND u.channel = 'whatsapp' AND o.sent_at >= :start AND o.sent_at < :end
         AND o.user_id IN ({_MEMBERS_AT_END})) AS broadcasts_trackable,
      (SELECT COUNT(*) FROM outbox AS o WHERE o.broadcast_id IS NOT NULL AND o.status = 'sent'
         AND o.read_at IS NOT NULL AND o.sent_at >= :start AND o.sent_at < :end
         AND o.user_id IN ({_MEMBERS_AT_END})) AS broadcasts_read
"""


class RecapRepository:
    def __init__(self, connection: Connection) -> None:
        self._db = connection

    async def counts(
        self,
        group_id: int,
        start: dt.datetime,
        end: dt.datetime,
        active_window: dt.timedelta,
        follow_up: dt.timedelta,
    ) -> dict[str, int]:
        """Every count of `MonthIndicators` (bot.reports.indicators) for a group and month."""
        since = end - active_window
        params = {
            "group": group_id,
            "start": to_db(start),
            "end": to_db(end),
            "since": to_db(since),
            "since_day": since.astimezone(dt.UTC).date().isoformat(),
            "end_day": end.astimezone(dt.UTC).date().isoformat(),
            "follow_up_days": follow_up / dt.timedelta(days=1),
        }
        async with self._db.execute(_counts_sql(self._db.dialect), params) as cursor:
            row = await cursor.fetchone()
        assert row is not None
        return {key: int(value) for key, value in dict(row).items()}

    async def activities_until(self, group_id: int, end: dt.datetime) -> list[ScheduledActivity]:
        """The group's activities first scheduled before `end`, cancelled ones included."""
        async with self._db.execute(
            "SELECT first_at, repeat, cancelled_at FROM activities"
            " WHERE group_id = ? AND first_at < ?",
            (group_id, to_db(end)),
        ) as cursor:
            rows = await cursor.fetchall()
        return [
            ScheduledActivity(
                from_db(row["first_at"]),
                row["repeat"],
                from_db(row["cancelled_at"]) if row["cancelled_at"] else None,
            )
            for row in rows
        ]

    async def injuries_by_topic(
        self, group_id: int, start: dt.datetime, end: dt.datetime
    ) -> dict[str, int]:
        async with self._db.execute(
            "SELECT COALESCE(topic_id, '') AS topic, COUNT(*) AS n FROM incidents"
            " WHERE group_id = ? AND kind = 'injury' AND created_at >= ? AND created_at < ?"
            " GROUP BY topic ORDER BY n DESC, topic",
            (group_id, to_db(start), to_db(end)),
        ) as cursor:
            return {row["topic"]: int(row["n"]) for row in await cursor.fetchall()}

    async def note_day(self, user_id: int, now: dt.datetime) -> None:
        """The person wrote to the bot today (UTC date)."""
        await self._db.execute(
            "INSERT INTO activity_days (user_id, day) VALUES (?, ?) ON CONFLICT DO NOTHING",
            (user_id, now.astimezone(dt.UTC).date().isoformat()),
        )
