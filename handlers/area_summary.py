"""`/ringkasan`: an officer's groups at a glance: how many are aktif, kurang aktif and tidak aktif,
which slipped, the reports by type and by sector as a chart, and the recap workbook.

The month shown is the one a week ago fell in, so the first days of a month still show the whole
month just ended; `/ringkasan 2026-10` shows any earlier month. A month in progress is compared
with the same days of the month before, never with a whole month. The weekly summary officers get
on Monday morning is the same message (scheduler/summaries.py).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.base.models import Reply
from bot.base.status_rules import StatusRules
from bot.base.texts import Texts
from bot.base.timefmt import month_label, period_label
from bot.core.conversation import Finish, Outcome, StepContext
from bot.domain.access import groups_in_scope, main_role
from bot.reports.charts import Panel, count_chart, top_counts
from bot.reports.group_status import Status, score, slipped, status
from bot.reports.indicators import MonthIndicators, month_bounds, month_indicators
from bot.reports.recap_workbook import recap_workbook
from bot.storage.attachments import keep_attachment
from bot.storage.database import UnitOfWork
from bot.storage.records import Grant, Group, Role
from content.knowledge import Knowledge, pick
from handlers.recap_month import asked_month, local_month

COMMAND = "ringkasan"
LOOK_BACK = dt.timedelta(days=7)
"""The default month is the one this long ago fell in."""
LISTED_SLIPPED = 8
"""Slipped groups named in the message; the workbook has them all."""
MAX_NAMED_REGENCIES = 3


@dataclass(frozen=True)
class AreaMonth:
    """One month of the groups in someone's scope, and the stretch of the month before to
    compare with."""

    scope: str
    months: Sequence[MonthIndicators]
    earlier: Sequence[MonthIndicators]


async def show_summary(ctx: StepContext, args: str) -> Outcome:
    groups = await groups_in_scope(ctx.uow, ctx.grants)
    if not groups:
        return Finish([ctx.reply("recap.no_groups")])
    zone = ctx.settings.default_timezone
    month = asked_month(ctx, COMMAND, args, local_month(ctx.now - LOOK_BACK, zone))
    if isinstance(month, Reply):
        return Finish([month])
    scope = scope_label(ctx.texts, ctx.language, groups, ctx.grants)
    area = await area_month(ctx.uow, scope, groups, month, ctx.now)
    rules = ctx.settings.status_rules
    today = ctx.now.astimezone(ZoneInfo(zone)).date()
    workbook = recap_workbook(area.months, rules, today)
    name = f"rekap-pos-ukk-{month:%Y-%m}"
    path = await keep_attachment(ctx.settings.data_dir, name, ".xlsx", workbook)
    await ctx.uow.audit.record(
        actor=f"user:{ctx.registered_user.id}",
        action="export-recap",
        subject=f"groups:{','.join(str(g.id) for g in groups)}",
        now=ctx.now,
        month=f"{month:%Y-%m}",
        groups=len(groups),
    )
    reply = await summary_reply(
        ctx.texts, ctx.language, ctx.knowledge, area, rules, ctx.settings.data_dir,
        key="recap.with_workbook",
    )  # fmt: skip
    return Finish([reply.model_copy(update={"document": path})])


def scope_label(
    texts: Texts, language: str, groups: Sequence[Group], grants: Sequence[Grant]
) -> str:
    """Where the groups are: "Kota Bontang", a few names, or how many regencies."""
    if main_role(grants) is Role.ADMIN:
        return texts.get(language, "recap.scope_all")
    regencies = sorted({group.regency for group in groups})
    if len(regencies) <= MAX_NAMED_REGENCIES:
        return ", ".join(regencies)
    return texts.get(language, "recap.scope_many", count=len(regencies))


async def area_month(
    uow: UnitOfWork, scope: str, groups: Sequence[Group], month: dt.date, now: dt.datetime
) -> AreaMonth:
    """Each group's `month` up to `now`, and the month before (its same stretch, if `month` is
    still in progress)."""
    previous = (month - dt.timedelta(days=1)).replace(day=1)
    months, earlier = [], []
    for group in groups:
        current = await month_indicators(uow, group, month, until=now)
        compare_until = None
        if current.until is not None:
            elapsed = current.until - month_bounds(group, month)[0]
            compare_until = month_bounds(group, previous)[0] + elapsed
        months.append(current)
        earlier.append(await month_indicators(uow, group, previous, until=compare_until))
    return AreaMonth(scope, months, earlier)


async def summary_reply(
    texts: Texts,
    language: str,
    knowledge: Knowledge,
    area: AreaMonth,
    rules: StatusRules,
    data_dir: Path,
    *,
    key: str,
) -> Reply:
    """The summary in `language` inside the text `key` (with the workbook, or weekly), with the
    chart of statuses and reports."""

    t = partial(texts.get, language)

    first = area.months[0]
    period = period_label(texts, language, first.month, first.until)
    statuses = Counter(status(month, rules) for month in area.months)
    no_reports = t("recap.chart_no_reports")
    by_status = [(t(f"recap.status_{value.value}"), statuses[value]) for value in Status]
    panels = [
        Panel(t("recap.chart_status"), by_status, ""),
        Panel(t("recap.chart_by_type"), _by_type(t, knowledge, language, area.months), no_reports),
        Panel(t("recap.chart_by_sector"), _by_sector(t, area.months), no_reports),
    ]
    title = t("recap.chart_summary_title", scope=area.scope, period=period)
    chart = await asyncio.to_thread(count_chart, title, panels)
    path = await keep_attachment(data_dir, f"ringkasan-{first.month:%Y-%m}", ".png", chart)
    injuries = sum(month.injuries for month in area.months)
    summary = t(
        "recap.summary",
        scope=area.scope,
        period=period,
        groups=len(area.months),
        active=statuses[Status.ACTIVE],
        less=statuses[Status.LESS_ACTIVE],
        inactive=statuses[Status.INACTIVE],
        slipped=_slipped_lines(t, texts, language, area, rules),
        injuries=injuries,
        near_misses=sum(month.near_misses for month in area.months),
        referrals=sum(month.referrals for month in area.months),
        followed=sum(month.followed_up for month in area.months),
        held=sum(month.activities_held for month in area.months),
        planned=sum(month.activities_planned for month in area.months),
    )
    return Reply(key=key, text=t(key, summary=summary), photo=path)


def _slipped_lines(
    t: Callable[..., str], texts: Texts, language: str, area: AreaMonth, rules: StatusRules
) -> str:
    first = area.months[0]
    previous = (
        t("recap.same_stretch")
        if first.until is not None
        else month_label(texts, language, area.earlier[0].month)
    )
    down = [
        (before, after)
        for before, after in zip(area.earlier, area.months, strict=True)
        if slipped(before, after, rules)
    ]
    if not down:
        return str(t("recap.slipped_none", previous=previous))
    lines = [t("recap.slipped", previous=previous)]
    for before, after in down[:LISTED_SLIPPED]:
        lines.append(
            t(
                "recap.slipped_line",
                group=after.group.name,
                before=t(f"recap.status_{status(before, rules).value}"),
                after=t(f"recap.status_{status(after, rules).value}"),
                score_before=score(before, rules),
                score_after=score(after, rules),
            )
        )
    if len(down) > LISTED_SLIPPED:
        lines.append(t("recap.slipped_more", count=len(down) - LISTED_SLIPPED))
    return "\n".join(lines)


def _by_type(
    t: Callable[..., str], knowledge: Knowledge, language: str, months: Sequence[MonthIndicators]
) -> list[tuple[str, int]]:
    """Injuries per first-aid topic (the largest few, then the rest), then near misses."""
    topics: Counter[str] = Counter()
    for month in months:
        topics.update(month.injuries_by_topic)
    named = [(_topic_name(t, knowledge, language, topic), count) for topic, count in topics.items()]
    near_misses = sum(month.near_misses for month in months)
    return [*top_counts(named, t("recap.other_topics")), (t("recap.near_miss"), near_misses)]


def _topic_name(t: Callable[..., str], knowledge: Knowledge, language: str, topic: str) -> str:
    found = knowledge.topics.get(topic)
    return pick(found.short_title, language) if found else t("recap.no_topic")


def _by_sector(t: Callable[..., str], months: Sequence[MonthIndicators]) -> list[tuple[str, int]]:
    """Reports (injuries and near misses) per sector of the groups in scope."""
    sectors: Counter[str] = Counter()
    for month in months:
        sectors[month.group.sector.value] += month.injuries + month.near_misses
    return [(t(f"reports.sector_{sector}"), count) for sector, count in sorted(sectors.items())]
