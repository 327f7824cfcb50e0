"""`/laporan`: a worker's own reports; kader and officers see and act on reports in their scope.

The scope is computed from the person's grants on every step; a report id in a button is only a
pointer, looked up again inside that scope.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.base import keys
from bot.base.models import Choice, Reply
from bot.core.conversation import (
    Answer,
    Draft,
    Finish,
    Flow,
    Goto,
    Outcome,
    Retry,
    Step,
    StepContext,
)
from bot.domain.access import names_anonymous_reporters
from bot.domain.incident_codes import STATUSES
from bot.domain.incident_text import (
    ACTION_EFFECT,
    describe,
    reporter_label,
    reporter_phone,
    victim_label,
)
from bot.reports import incident_list
from bot.reports.exports import Export, collect_reports, export_bytes, file_name
from bot.reports.incident_list import (
    KINDS,
    PERIODS,
    ReportFilters,
    export_days,
    find_reports,
    narrowed,
)
from bot.storage.incidents import Incident
from bot.storage.records import Group, User
from content.schema import Sector, Topic
from handlers.incident_alerts import apply_action

MINE_LIMIT = 10
LISTED = 6
FILTERS = ("period", "group", "sector", "kind")


class ReportsDraft(Draft):
    """The list of reports a kader or officer is looking at: its filters and the one open."""

    period: str | None = None
    group: int | None = None
    sector: str | None = None
    kind: str | None = None
    filter: str | None = None
    """The filter whose value is being chosen."""
    incident: int = 0


def _draft(ctx: StepContext) -> ReportsDraft:
    return ctx.draft_as(ReportsDraft)


async def handled_groups(ctx: StepContext) -> list[Group]:
    return await incident_list.handled_groups(ctx.uow, ctx.grants)


def _filters(ctx: StepContext) -> ReportFilters:
    draft = _draft(ctx)
    return ReportFilters(draft.period or "open", draft.group, draft.sector, draft.kind)


async def _in_scope(ctx: StepContext) -> list[Incident]:
    """The reports of the chosen filters, newest first."""
    return await find_reports(ctx.uow, await handled_groups(ctx), _filters(ctx), ctx.now)


async def _reporters(ctx: StepContext, incidents: list[Incident]) -> dict[int, User]:
    people = await ctx.uow.users.many(sorted({i.reporter_id for i in incidents if i.reporter_id}))
    return {person.id: person for person in people}


# -- the list ------------------------------------------------------------------------------------
async def ask_list(ctx: StepContext) -> Reply:
    if not await handled_groups(ctx):
        return await _mine(ctx)
    incidents = await _in_scope(ctx)
    reporters = await _reporters(ctx, incidents)
    groups = {group.id: group for group in await handled_groups(ctx)}
    choices = []
    for incident in incidents[:LISTED]:
        reporter = reporter_label(
            ctx.texts,
            ctx.language,
            incident,
            reporters.get(incident.reporter_id or 0),
            named=names_anonymous_reporters(ctx.grants, groups.get(incident.group_id or 0)),
        )
        who = victim_label(ctx.texts, ctx.language, incident, reporter)
        label = f"{incident.reference[-6:].lstrip('0')} {who}"[:24]
        choices.append(Choice(token=keys.reported_incident_token(incident.id), label=label))
    choices += [
        ctx.choice("rv:filter", "reports.filter"),
        ctx.choice("rv:export", "reports.export"),
        ctx.choice("rv:back", "common.back"),
    ]
    counts = {status: sum(1 for i in incidents if i.status == status) for status in STATUSES}
    lines = ", ".join(
        f"{ctx.t(f'incident.status_{status}')}: {count}"
        for status, count in counts.items()
        if count
    )
    return ctx.reply(
        "reports.list",
        choices=choices,
        period=ctx.t(f"reports.period_{_draft(ctx).period or 'open'}"),
        total=len(incidents),
        counts=lines or "-",
        shown=min(len(incidents), LISTED),
    )


async def _mine(ctx: StepContext) -> Reply:
    """A worker's own reports with their status."""
    mine = await ctx.uow.incidents.by_reporter(ctx.registered_user.id, MINE_LIMIT)
    lines = "\n".join(
        ctx.t(
            "reports.mine_line",
            reference=i.reference,
            date=dt.date.fromisoformat(i.occurred_on).strftime("%d-%m-%Y"),
            status=ctx.t(f"incident.status_{i.status}"),
        )
        for i in mine
    )
    key = "reports.mine" if mine else "reports.mine_none"
    return ctx.reply(key, choices=[ctx.choice("rv:back", "common.back")], lines=lines)


async def take_list(ctx: StepContext, answer: Answer) -> Outcome:
    if answer.choice == "rv:back":
        return Finish()
    if answer.choice == "rv:filter":
        return Goto("filter")
    if answer.choice == "rv:export":
        return Goto("list", [await _export(ctx)])
    chosen = answer.choice.removeprefix("rv:") if answer.choice else ""
    if chosen.isdigit():
        _draft(ctx).incident = int(chosen)
        return Goto("detail")
    return Retry(ctx.reply("common.pick_option"))


async def _export(ctx: StepContext) -> Reply:
    """The reports of the chosen period and groups as an Excel file (with the LBKP-1 sheet)."""
    groups = narrowed(await handled_groups(ctx), _filters(ctx))
    first, last = export_days(_draft(ctx).period or "all", ctx.now, ctx.timezone)
    named = [g.id for g in groups if names_anonymous_reporters(ctx.grants, g)]
    export = await collect_reports(ctx.uow, groups, first, last, named)
    folder = ctx.settings.data_dir / "exports"
    path = folder / f"{ctx.registered_user.id}-{file_name(first, last, 'xlsx')}"
    await ctx.uow.audit.record(
        actor=f"user:{ctx.registered_user.id}",
        action="export-incidents",
        subject=f"groups:{','.join(str(g.id) for g in groups)}",
        now=ctx.now,
        first=first.isoformat(),
        last=last.isoformat(),
        reports=len(export.reports),
    )
    reply = ctx.reply(
        "reports.exported",
        count=len(export.reports),
        first=first.strftime("%d-%m-%Y"),
        last=last.strftime("%d-%m-%Y"),
    )

    async def workbook(reply: Reply) -> Reply:
        await asyncio.to_thread(_write, path, export, ctx.knowledge.topics)
        return reply.model_copy(update={"document": str(path)})

    return ctx.rendered_after_commit(reply, workbook)


def _write(path: Path, export: Export, topics: Mapping[str, Topic]) -> None:
    """The workbook, built and written in a worker thread after the commit."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(export_bytes(export, topics, "xlsx"))


# -- filters -------------------------------------------------------------------------------------
async def ask_filter(ctx: StepContext) -> Reply:
    choices = [ctx.choice(f"rv:f:{f}", f"reports.filter_{f}") for f in FILTERS]
    return ctx.reply(
        "reports.ask_filter", choices=[*choices, ctx.choice("rv:f:clear", "reports.clear")]
    )


async def take_filter(ctx: StepContext, answer: Answer) -> Outcome:
    picked = answer.choice.removeprefix("rv:f:") if answer.choice else ""
    if picked == "clear":
        for key in ("period", "group", "sector", "kind"):
            _draft(ctx).forget(key)
        return Goto("list")
    if picked not in FILTERS:
        return Retry(ctx.reply("common.pick_option"))
    _draft(ctx).filter = picked
    return Goto("filter_value")


async def _values(ctx: StepContext) -> list[Choice]:
    """The choices of the filter being set, each token carrying its value."""
    dimension = _draft(ctx).filter
    if dimension == "period":
        return [ctx.choice(f"rv:v:{p}", f"reports.period_{p}") for p in PERIODS]
    if dimension == "group":
        groups = (await handled_groups(ctx))[:9]
        return [Choice(token=f"rv:v:{g.id}", label=g.name[:24]) for g in groups]
    if dimension == "sector":
        return [ctx.choice(f"rv:v:{s.value}", f"reports.sector_{s.value}") for s in Sector]
    return [ctx.choice(f"rv:v:{k}", f"incident.kind_{k}") for k in KINDS]


async def ask_filter_value(ctx: StepContext) -> Reply:
    return ctx.reply("reports.ask_value", choices=await _values(ctx))


async def take_filter_value(ctx: StepContext, answer: Answer) -> Outcome:
    offered = {c.token for c in await _values(ctx)}
    if answer.choice not in offered:
        return Retry(ctx.reply("common.pick_option"))
    value = answer.choice.removeprefix("rv:v:")
    draft = _draft(ctx)
    dimension = draft.filter
    draft.forget("filter")
    setattr(draft, dimension or "kind", int(value) if dimension == "group" else value)
    return Goto("list")


# -- one report ----------------------------------------------------------------------------------
async def _chosen(ctx: StepContext) -> Incident | None:
    """The report in the draft, if it is still in this person's scope."""
    incident = await ctx.uow.incidents.get(_draft(ctx).incident)
    scope = {g.id for g in await handled_groups(ctx)}
    return incident if incident is not None and incident.group_id in scope else None


async def ask_detail(ctx: StepContext) -> Reply:
    incident = await _chosen(ctx)
    if incident is None:
        return ctx.reply("access.denied", choices=[ctx.choice("rv:list", "common.back")])
    reporter = await ctx.uow.users.get(incident.reporter_id) if incident.reporter_id else None
    group = await ctx.uow.groups.get(incident.group_id or 0)
    named = names_anonymous_reporters(ctx.grants, group)
    shown = reporter_label(ctx.texts, ctx.language, incident, reporter, named=named)
    zone = ZoneInfo(group.timezone if group else ctx.settings.default_timezone)
    events = await ctx.uow.incidents.events(incident.id)
    actors = await ctx.uow.users.many(sorted({e.actor_id for e in events if e.actor_id}))
    names = {a.id: a.name for a in actors}
    if incident.reporter_id is not None:
        names[incident.reporter_id] = shown
    timeline = "\n".join(
        ctx.t(
            "reports.event",
            at=event.at.astimezone(zone).strftime("%d-%m %H:%M"),
            who=names.get(event.actor_id or 0, ctx.t("reports.system")),
            action=ctx.t(f"reports.action_{event.action.split('_')[0]}", detail=event.detail),
        )
        for event in events
    )
    choices = []
    if incident.status != "closed":
        choices = [ctx.choice(f"rv:a:{a}", f"incident.action_{a}") for a in ACTION_EFFECT]
    choices.append(ctx.choice("rv:list", "common.back"))
    return ctx.reply(
        "reports.detail",
        choices=choices,
        summary=describe(ctx.texts, ctx.knowledge, ctx.language, incident),
        name=victim_label(ctx.texts, ctx.language, incident, shown),
        reporter=shown,
        phone=reporter_phone(incident, reporter, named=named),
        timeline=timeline,
    )


async def take_detail(ctx: StepContext, answer: Answer) -> Outcome:
    """An action on the report (scope checked again), or back to the list."""
    if answer.choice == "rv:list":
        return Goto("list")
    action = answer.choice.removeprefix("rv:a:") if answer.choice else ""
    if action not in ACTION_EFFECT:
        return Retry(ctx.reply("common.pick_option"))
    incident = await _chosen(ctx)
    if incident is None:
        return Finish([ctx.reply("access.denied")])
    return Goto("detail", [await apply_action(ctx, incident, action)])


FLOW = Flow(
    name="reports",
    first="list",
    steps={
        "list": Step(ask_list, take_list),
        "filter": Step(ask_filter, take_filter),
        "filter_value": Step(ask_filter_value, take_filter_value),
        "detail": Step(ask_detail, take_detail),
    },
    draft=ReportsDraft,
)
