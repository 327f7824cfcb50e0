"""Incident reports and their timeline: who did what about each, and when."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields

from bot.base.clock import from_db, to_db
from bot.storage.sql import Connection, Row

REFERENCE_PREFIX = "UKK"


def reference(incident_id: int, created: dt.datetime) -> str:
    """Short and readable aloud: UKK-26-000123 (year, then a number that never repeats)."""
    return f"{REFERENCE_PREFIX}-{created:%y}-{incident_id:06d}"


@dataclass(frozen=True)
class NewIncident:
    group_id: int | None
    reporter_id: int | None
    """None once the report is anonymised."""
    kind: str  # injury | near_miss
    victim: str  # self | other | none
    victim_name: str | None
    victim_sex: str | None
    victim_age: int | None
    employment: str | None
    occupation: str
    topic_id: str | None
    injury_type: str | None
    material_agent: str | None
    what_text: str
    body_part: str | None
    occurred_on: str  # local date, YYYY-MM-DD
    occurred_time: str | None  # local HH:MM, when known
    place_text: str
    latitude: float | None
    longitude: float | None
    activity: str
    activity_text: str
    commuting: bool
    danger_signs: bool
    first_aid_given: str
    stopped_work: bool | None
    photo_ref: str | None
    severe: bool
    anonymous: bool
    """The reporter asked not to be named to the kader."""
    voice_ref: str | None = field(default=None, kw_only=True)
    """A voice note sent during the report, kept with it like the photo."""


@dataclass(frozen=True)
class Incident(NewIncident):
    id: int
    reference: str
    status: str
    outcome: str | None
    days_lost: int | None
    created_at: dt.datetime
    first_action_at: dt.datetime | None
    escalated_at: dt.datetime | None
    closed_at: dt.datetime | None


@dataclass(frozen=True)
class IncidentEvent:
    at: dt.datetime
    actor_id: int | None
    action: str
    detail: str


_NEW_COLUMNS = [f.name for f in fields(NewIncident)]
_TIMES = ("created_at", "first_action_at", "escalated_at", "closed_at")
_BOOLS = ("commuting", "danger_signs", "severe", "anonymous")
_COLUMNS = ", ".join(f.name for f in fields(Incident))


def _incident(row: Row) -> Incident:
    values = dict(row)
    for name in _TIMES:
        values[name] = from_db(values[name]) if values[name] else None
    for name in _BOOLS:
        values[name] = bool(values[name])
    if values["stopped_work"] is not None:
        values["stopped_work"] = bool(values["stopped_work"])
    return Incident(**values)


@dataclass(frozen=True)
class IncidentFilter:
    """Which reports to list: always limited to `group_ids` (the caller's scope)."""

    group_ids: Sequence[int]
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    statuses: Sequence[str] = ()
    kind: str | None = None
    topic_id: str | None = None


class IncidentRepository:
    def __init__(self, connection: Connection) -> None:
        self._db = connection

    async def create(self, incident: NewIncident, now: dt.datetime) -> Incident:
        """Store a report, give it its reference and open its timeline."""
        values = asdict(incident)
        placeholders = ", ".join("?" for _ in _NEW_COLUMNS)
        incident_id = await self._db.insert(
            f"INSERT INTO incidents ({', '.join(_NEW_COLUMNS)}, created_at)"
            f" VALUES ({placeholders}, ?)",
            [values[name] for name in _NEW_COLUMNS] + [to_db(now)],
        )
        await self._db.execute(
            "UPDATE incidents SET reference = ? WHERE id = ?",
            (reference(incident_id, now), incident_id),
        )
        await self.add_event(incident_id, now, incident.reporter_id, "submitted")
        found = await self.get(incident_id)
        assert found is not None
        return found

    async def get(self, incident_id: int) -> Incident | None:
        async with self._db.execute(
            f"SELECT {_COLUMNS} FROM incidents WHERE id = ?", (incident_id,)
        ) as cursor:
            row = await cursor.fetchone()
        return _incident(row) if row else None

    async def by_reporter(self, reporter_id: int, limit: int) -> list[Incident]:
        async with self._db.execute(
            f"SELECT {_COLUMNS} FROM incidents WHERE reporter_id = ? ORDER BY id DESC LIMIT ?",
            (reporter_id, limit),
        ) as cursor:
            return [_incident(row) for row in await cursor.fetchall()]

    async def find(self, where: IncidentFilter, limit: int | None = None) -> list[Incident]:
        """Reports in scope, newest first."""
        if not where.group_ids:
            return []
        clauses = [f"group_id IN ({', '.join('?' for _ in where.group_ids)})"]
        params: list[object] = list(where.group_ids)
        if where.since is not None:
            clauses.append("created_at >= ?")
            params.append(to_db(where.since))
        if where.until is not None:
            clauses.append("created_at < ?")
            params.append(to_db(where.until))
        if where.statuses:
            clauses.append(f"status IN ({', '.join('?' for _ in where.statuses)})")
            params.extend(where.statuses)
        if where.kind is not None:
            clauses.append("kind = ?")
            params.append(where.kind)
        if where.topic_id is not None:
            clauses.append("topic_id = ?")
            params.append(where.topic_id)
        query = f"SELECT {_COLUMNS} FROM incidents WHERE {' AND '.join(clauses)} ORDER BY id DESC"
        if limit is not None:
            query += f" LIMIT {int(limit)}"
        async with self._db.execute(query, params) as cursor:
            return [_incident(row) for row in await cursor.fetchall()]

    async def last_about_self(self, reporter_id: int) -> Incident | None:
        """The reporter's latest report about themselves: their sex, age and work are known."""
        async with self._db.execute(
            f"SELECT {_COLUMNS} FROM incidents WHERE reporter_id = ? AND victim = 'self'"
            " ORDER BY id DESC LIMIT 1",
            (reporter_id,),
        ) as cursor:
            row = await cursor.fetchone()
        return _incident(row) if row else None

    async def add_event(
        self,
        incident_id: int,
        now: dt.datetime,
        actor_id: int | None,
        action: str,
        detail: str = "",
    ) -> None:
        await self._db.execute(
            "INSERT INTO incident_events (incident_id, at, actor_id, action, detail)"
            " VALUES (?, ?, ?, ?, ?)",
            (incident_id, to_db(now), actor_id, action, detail),
        )

    async def events(self, incident_id: int) -> list[IncidentEvent]:
        async with self._db.execute(
            "SELECT at, actor_id, action, detail FROM incident_events WHERE incident_id = ?"
            " ORDER BY id",
            (incident_id,),
        ) as cursor:
            rows = await cursor.fetchall()
        return [
            IncidentEvent(from_db(r["at"]), r["actor_id"], r["action"], r["detail"]) for r in rows
        ]

    async def set_status(
        self, incident_id: int, status: str, outcome: str | None, actor_id: int, now: dt.datetime
    ) -> None:
        """A kader or officer acted: the new status (and outcome), stamped on the timeline."""
        stamp = to_db(now)
        await self._db.execute(
            "UPDATE incidents SET status = ?, outcome = COALESCE(?, outcome),"
            " first_action_at = COALESCE(first_action_at, ?),"
            " closed_at = CASE WHEN ? = 'closed' THEN ? ELSE NULL END WHERE id = ?",
            (status, outcome, stamp, status, stamp, incident_id),
        )
        await self.add_event(incident_id, now, actor_id, status, outcome or "")

    async def set_days_lost(
        self, incident_id: int, days: int, actor_id: int, now: dt.datetime
    ) -> None:
        await self._db.execute(
            "UPDATE incidents SET days_lost = ? WHERE id = ?", (days, incident_id)
        )
        await self.add_event(incident_id, now, actor_id, "days_lost", str(days))

    async def unattended(self, created_before: dt.datetime) -> list[Incident]:
        """Open reports nobody acted on since before `created_before`, not yet escalated."""
        async with self._db.execute(
            f"SELECT {_COLUMNS} FROM incidents WHERE first_action_at IS NULL"
            " AND escalated_at IS NULL AND status = 'open' AND created_at <= ? ORDER BY id",
            (to_db(created_before),),
        ) as cursor:
            return [_incident(row) for row in await cursor.fetchall()]

    async def anonymise_reported_by(self, reporter_id: int, now: dt.datetime) -> list[str]:
        """Remove what identifies anyone from this person's reports; the photos let go."""
        _, photos = await self._anonymise("reporter_id = ?", (reporter_id,), now)
        return photos

    async def anonymise_before(self, created_before: dt.datetime, now: dt.datetime) -> int:
        """Remove what identifies anyone from reports older than the retention period; how
        many. Their photos are swept with the other unused ones."""
        count, _ = await self._anonymise("created_at < ?", (to_db(created_before),), now)
        return count

    async def _anonymise(
        self, where: str, params: tuple[object, ...], now: dt.datetime
    ) -> tuple[int, list[str]]:
        """Keep the codes and dates the monthly counts need; drop the reporter, the names, the
        reporter's own words, the place and the photo. How many reports, and their photos."""
        async with self._db.execute(
            f"SELECT id, photo_ref, voice_ref FROM incidents"
            f" WHERE anonymised_at IS NULL AND {where}",
            params,
        ) as cursor:
            rows = await cursor.fetchall()
        if not rows:
            return 0, []
        ids = [row["id"] for row in rows]
        marks = ", ".join("?" for _ in ids)
        await self._db.execute(
            "UPDATE incidents SET reporter_id = NULL, victim_name = NULL, what_text = '',"
            " place_text = '', activity_text = '', first_aid_given = '', latitude = NULL,"
            " longitude = NULL, photo_ref = NULL, voice_ref = NULL, anonymised_at = ?"
            f" WHERE id IN ({marks})",
            (to_db(now), *ids),
        )
        kept = [row[name] for row in rows for name in ("photo_ref", "voice_ref") if row[name]]
        return len(ids), kept

    async def mark_escalated(self, incident_id: int, now: dt.datetime) -> bool:
        cursor = await self._db.execute(
            "UPDATE incidents SET escalated_at = ? WHERE id = ? AND escalated_at IS NULL",
            (to_db(now), incident_id),
        )
        if cursor.rowcount == 1:
            await self.add_event(incident_id, now, None, "escalated")
        return cursor.rowcount == 1
