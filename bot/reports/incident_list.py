"""Which reports a kader or officer sees, by the filters of `/laporan` (period, group, sector,
kind): the chat's list and the web dashboard's read them here, inside the person's scope."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from bot.domain.access import Action, allowed, groups_in_scope
from bot.domain.incident_codes import STATUSES
from bot.storage.database import UnitOfWork
from bot.storage.incidents import Incident, IncidentFilter
from bot.storage.records import Grant, Group

PERIODS = ("open", "30d", "month", "last_month", "all")
"""`open`: every report not closed yet, whenever it came; the others: all reports of a period."""
KINDS = ("injury", "near_miss")
EARLIEST = dt.date(2020, 1, 1)
"""Where an export of "all" reports starts: before any Pos UKK used this bot."""


@dataclass(frozen=True)
class ReportFilters:
    period: str = "open"
    group: int | None = None
    sector: str | None = None
    kind: str | None = None


async def handled_groups(uow: UnitOfWork, grants: Sequence[Grant]) -> list[Group]:
    """The groups whose reports this person sees and acts on."""
    return [
        g for g in await groups_in_scope(uow, grants) if allowed(grants, Action.HANDLE_INCIDENTS, g)
    ]


def _month_start(local: dt.datetime) -> dt.datetime:
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def period_bounds(
    period: str, now: dt.datetime, zone: str
) -> tuple[dt.datetime | None, dt.datetime | None]:
    """(since, until) of a period in the time zone `zone`; None where it is open-ended."""
    local = now.astimezone(ZoneInfo(zone))
    if period == "30d":
        return now - dt.timedelta(days=30), None
    if period == "month":
        return _month_start(local), None
    if period == "last_month":
        this_month = _month_start(local)
        return _month_start(this_month - dt.timedelta(days=1)), this_month
    return None, None


def export_days(period: str, now: dt.datetime, zone: str) -> tuple[dt.date, dt.date]:
    """The first and last day of an export of `period` ("open" exports everything)."""
    since, until = period_bounds("all" if period == "open" else period, now, zone)
    today = now.astimezone(ZoneInfo(zone)).date()
    first = since.astimezone(ZoneInfo(zone)).date() if since else EARLIEST
    last = (until - dt.timedelta(days=1)).date() if until else today
    return first, last


def narrowed(groups: Sequence[Group], filters: ReportFilters) -> list[Group]:
    """`groups` narrowed by the group and sector filters."""
    return [
        g
        for g in groups
        if (filters.group is None or g.id == filters.group)
        and (filters.sector is None or g.sector == filters.sector)
    ]


async def find_reports(
    uow: UnitOfWork, groups: Sequence[Group], filters: ReportFilters, now: dt.datetime
) -> list[Incident]:
    """The reports of `groups` (already the person's scope) that pass `filters`, newest first;
    "this month" is each group's own."""
    by_zone: dict[str, list[int]] = {}
    for group in narrowed(groups, filters):
        by_zone.setdefault(group.timezone, []).append(group.id)
    found = []
    for zone, group_ids in by_zone.items():
        since, until = period_bounds(filters.period, now, zone)
        where = IncidentFilter(
            group_ids=group_ids,
            since=since,
            until=until,
            statuses=[s for s in STATUSES if s != "closed"] if filters.period == "open" else (),
            kind=filters.kind,
        )
        found += await uow.incidents.find(where)
    return sorted(found, key=lambda incident: incident.id, reverse=True)
