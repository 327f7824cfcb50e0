"""Scheduled activities of Pos UKK groups."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import aiosqlite

from bot.base.clock import from_db, to_db


@dataclass(frozen=True)
class NewActivity:
    group_id: int
    kind: str
    title: str
    place: str
    first_at: dt.datetime
    repeat: str
    audience: str


@dataclass(frozen=True)
class Activity(NewActivity):
    id: int


def _activity(row: aiosqlite.Row) -> Activity:
    return Activity(
        id=row["id"],
        group_id=row["group_id"],
        kind=row["kind"],
        title=row["title"],
        place=row["place"],
        first_at=from_db(row["first_at"]),
        repeat=row["repeat"],
        audience=row["audience"],
    )


class ActivityRepository:
    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._db = connection

    async def create(self, activity: NewActivity, created_by: int, now: dt.datetime) -> int:
        cursor = await self._db.execute(
            "INSERT INTO activities (group_id, kind, title, place, first_at, repeat, audience,"
            " created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                activity.group_id,
                activity.kind,
                activity.title,
                activity.place,
                to_db(activity.first_at),
                activity.repeat,
                activity.audience,
                created_by,
                to_db(now),
            ),
        )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    async def get(self, activity_id: int) -> Activity | None:
        async with self._db.execute(
            "SELECT id, group_id, kind, title, place, first_at, repeat, audience FROM activities"
            " WHERE id = ? AND cancelled_at IS NULL",
            (activity_id,),
        ) as cursor:
            row = await cursor.fetchone()
        return _activity(row) if row else None

    async def due_for_reminders(self, now: dt.datetime) -> list[int]:
        """The activities whose next reminder is due by `now`, or not worked out yet."""
        async with self._db.execute(
            "SELECT id FROM activities WHERE cancelled_at IS NULL"
            " AND (remind_at IS NULL OR remind_at <= ?) ORDER BY id",
            (to_db(now),),
        ) as cursor:
            return [int(row["id"]) for row in await cursor.fetchall()]

    async def set_remind_at(self, activity_id: int, at: dt.datetime, first_at: dt.datetime) -> None:
        """When the activity's next reminder falls due, worked out for its series starting at
        `first_at` (if it was moved since, nothing: the next tick works it out again)."""
        await self._db.execute(
            "UPDATE activities SET remind_at = ? WHERE id = ? AND first_at = ?",
            (to_db(at), activity_id, to_db(first_at)),
        )

    async def forget_remind_times(self) -> None:
        """Work every activity's next reminder out again (the reminder times may have changed)."""
        await self._db.execute(
            "UPDATE activities SET remind_at = NULL"
            " WHERE cancelled_at IS NULL AND remind_at IS NOT NULL"
        )

    async def active(self, group_id: int) -> list[Activity]:
        async with self._db.execute(
            "SELECT id, group_id, kind, title, place, first_at, repeat, audience FROM activities"
            " WHERE group_id = ? AND cancelled_at IS NULL ORDER BY first_at",
            (group_id,),
        ) as cursor:
            rows = await cursor.fetchall()
        return [_activity(row) for row in rows]

    async def update(self, activity: Activity) -> None:
        """Save a changed title, place, audience or first date (the series follows it)."""
        await self._db.execute(
            "UPDATE activities SET title = ?, place = ?, audience = ?, first_at = ?,"
            " remind_at = NULL WHERE id = ? AND cancelled_at IS NULL",
            (
                activity.title,
                activity.place,
                activity.audience,
                to_db(activity.first_at),
                activity.id,
            ),
        )

    async def cancel(self, activity_id: int, now: dt.datetime) -> bool:
        cursor = await self._db.execute(
            "UPDATE activities SET cancelled_at = ? WHERE id = ? AND cancelled_at IS NULL",
            (to_db(now), activity_id),
        )
        return cursor.rowcount == 1

    async def record(
        self,
        activity_id: int,
        starts_at: dt.datetime,
        *,
        held: bool,
        note: str,
        attendees: list[int],
        recorded_by: int,
        now: dt.datetime,
    ) -> None:
        """Write (or rewrite) what happened at one occurrence."""
        start = to_db(starts_at)
        await self._db.execute(
            "DELETE FROM attendance WHERE activity_id = ? AND starts_at = ?", (activity_id, start)
        )
        await self._db.execute(
            "INSERT INTO activity_records (activity_id, starts_at, held, note, recorded_by,"
            " recorded_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (activity_id, starts_at)"
            " DO UPDATE SET held = excluded.held, note = excluded.note,"
            " recorded_by = excluded.recorded_by, recorded_at = excluded.recorded_at",
            (activity_id, start, int(held), note, recorded_by, to_db(now)),
        )
        await self._db.executemany(
            "INSERT INTO attendance (activity_id, starts_at, user_id) VALUES (?, ?, ?)",
            [(activity_id, start, user_id) for user_id in attendees],
        )

    async def recorded(self, activity_id: int, starts_at: dt.datetime) -> bool:
        async with self._db.execute(
            "SELECT 1 FROM activity_records WHERE activity_id = ? AND starts_at = ?",
            (activity_id, to_db(starts_at)),
        ) as cursor:
            return await cursor.fetchone() is not None
