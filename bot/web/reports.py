"""Laporan: the reports in scope with the filters of `/laporan`, one report with its timeline,
and the Excel / CSV downloads (audited, as in the chat)."""

from __future__ import annotations

import asyncio
import datetime as dt
from zoneinfo import ZoneInfo

from starlette.responses import Response

from bot.domain.access import names_anonymous_reporters
from bot.domain.incident_text import describe, reporter_label, reporter_phone, victim_label
from bot.reports.exports import FORMATS, ExportFormat, collect_reports, export_bytes, file_name
from bot.reports.incident_list import (
    KINDS,
    PERIODS,
    ReportFilters,
    export_days,
    find_reports,
    narrowed,
)
from bot.storage.incidents import Incident
from bot.storage.records import User
from bot.web.visit import FORBIDDEN, NOT_FOUND, Later, Page, Visit
from content.knowledge import pick
from content.schema import Sector

LISTED = 100
"""Reports listed on the page; the downloads hold them all."""
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def filters(visit: Visit, default_period: str = "open") -> ReportFilters:
    """The filters in the address; a value that is not offered is ignored, and a group outside
    the person's scope is refused."""
    group = visit.request.query_params.get("group", "")
    group_id = None
    if group.isdigit():
        group_id = visit.viewer.group(int(group)).id
    return ReportFilters(
        period=visit.query("period", PERIODS) or default_period,
        group=group_id,
        sector=visit.query("sector", [s.value for s in Sector]),
        kind=visit.query("kind", KINDS),
    )


def filter_form(visit: Visit, chosen: ReportFilters) -> list[dict[str, object]]:
    """The filters as select boxes: name, label and (value, label, selected) options."""
    t = visit.t
    any_option = ("", t("web.any"))
    return [
        {
            "name": "period",
            "label": t("reports.filter_period"),
            "options": [(p, t(f"reports.period_{p}"), p == chosen.period) for p in PERIODS],
        },
        {
            "name": "group",
            "label": t("reports.filter_group"),
            "options": [(*any_option, chosen.group is None)]
            + [(str(g.id), g.name, g.id == chosen.group) for g in visit.viewer.groups],
        },
        {
            "name": "sector",
            "label": t("reports.filter_sector"),
            "options": [(*any_option, chosen.sector is None)]
            + [(s.value, t(f"reports.sector_{s.value}"), s == chosen.sector) for s in Sector],
        },
        {
            "name": "kind",
            "label": t("reports.filter_kind"),
            "options": [(*any_option, chosen.kind is None)]
            + [(k, t(f"incident.kind_{k}"), k == chosen.kind) for k in KINDS],
        },
    ]


async def _people(visit: Visit, incidents: list[Incident]) -> dict[int, User]:
    ids = sorted({i.reporter_id for i in incidents if i.reporter_id})
    return {person.id: person for person in await visit.uow.users.many(ids)}


def _reporter(visit: Visit, incident: Incident, people: dict[int, User]) -> str:
    group = visit.viewer.group(incident.group_id or 0)
    named = names_anonymous_reporters(visit.viewer.grants, group)
    reporter = people.get(incident.reporter_id or 0)
    return reporter_label(visit.texts, visit.viewer.language, incident, reporter, named=named)


def _topic(visit: Visit, incident: Incident) -> str:
    topic = visit.knowledge.topics.get(incident.topic_id or "")
    title = pick(topic.title, visit.viewer.language) if topic else ""
    return " - ".join(part for part in (title, incident.what_text) if part) or "-"


async def reports_page(visit: Visit) -> Page:
    chosen = filters(visit)
    incidents = await find_reports(visit.uow, visit.viewer.groups, chosen, visit.now)
    people = await _people(visit, incidents)
    groups = {g.id: g for g in visit.viewer.groups}
    rows = [
        {
            "id": incident.id,
            "reference": incident.reference,
            "date": dt.date.fromisoformat(incident.occurred_on).strftime("%d-%m-%Y"),
            "group": groups[incident.group_id or 0].name,
            "victim": victim_label(
                visit.texts, visit.viewer.language, incident, _reporter(visit, incident, people)
            ),
            "what": _topic(visit, incident),
            "status": visit.t(f"incident.status_{incident.status}"),
        }
        for incident in incidents[:LISTED]
    ]
    query = str(visit.request.query_params)
    return Page(
        "reports.html",
        {
            "form": filter_form(visit, chosen),
            "period": visit.t(f"reports.period_{chosen.period}"),
            "total": len(incidents),
            "rows": rows,
            "more": len(incidents) > LISTED,
            "listed": LISTED,
            "query": f"?{query}" if query else "",
        },
    )


async def report_page(visit: Visit) -> Page:
    """One report, if it belongs to a group in scope (a report elsewhere is refused the same
    way as one that does not exist, so ids reveal nothing)."""
    incident = await visit.uow.incidents.get(int(visit.request.path_params["report"]))
    if incident is None or incident.group_id not in {g.id for g in visit.viewer.groups}:
        raise FORBIDDEN
    group = visit.viewer.group(incident.group_id)
    language = visit.viewer.language
    named = names_anonymous_reporters(visit.viewer.grants, group)
    reporter = await visit.uow.users.get(incident.reporter_id) if incident.reporter_id else None
    shown = reporter_label(visit.texts, language, incident, reporter, named=named)
    events = await visit.uow.incidents.events(incident.id)
    actors = await visit.uow.users.many(sorted({e.actor_id for e in events if e.actor_id}))
    names = {a.id: a.name for a in actors}
    if incident.reporter_id is not None:
        names[incident.reporter_id] = shown
    zone = ZoneInfo(group.timezone)
    timeline = [
        visit.t(
            "reports.event",
            at=event.at.astimezone(zone).strftime("%d-%m-%Y %H:%M"),
            who=names.get(event.actor_id or 0, visit.t("reports.system")),
            action=visit.t(f"reports.action_{event.action.split('_')[0]}", detail=event.detail),
        ).removeprefix("• ")
        for event in events
    ]
    return Page(
        "report.html",
        {
            "incident": incident,
            "group": group,
            "summary": describe(visit.texts, visit.knowledge, language, incident),
            "victim": victim_label(visit.texts, language, incident, shown),
            "reporter": shown,
            "phone": reporter_phone(incident, reporter, named=named),
            "status": visit.t(f"incident.status_{incident.status}"),
            "timeline": timeline,
        },
    )


async def download(visit: Visit) -> Later:
    """The reports of the filters' period and groups as a file, like the chat's export; the
    file is built in a worker thread once the transaction is closed."""
    fmt = visit.request.path_params["format"]
    if fmt not in FORMATS:
        raise NOT_FOUND
    chosen = filters(visit, default_period="all")
    groups = narrowed(visit.viewer.groups, chosen)
    first, last = export_days(chosen.period, visit.now, visit.settings.default_timezone)
    named = [g.id for g in groups if names_anonymous_reporters(visit.viewer.grants, g)]
    export = await collect_reports(visit.uow, groups, first, last, named)
    await visit.uow.audit.record(
        actor=f"user:{visit.viewer.user.id}",
        action="export-incidents",
        subject=f"groups:{','.join(str(g.id) for g in groups)}",
        now=visit.now,
        first=first.isoformat(),
        last=last.isoformat(),
        reports=len(export.reports),
        format=fmt,
        via="web",
    )
    kind: ExportFormat = "csv" if fmt == "csv" else "xlsx"
    topics = visit.knowledge.topics

    async def file() -> Response:
        body = await asyncio.to_thread(export_bytes, export, topics, kind)
        name = file_name(first, last, kind)
        return Response(
            body,
            media_type=MEDIA_TYPES[kind],
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    return file
