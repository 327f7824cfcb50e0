"""An officer's groups at a glance: how many are aktif, kurang aktif and tidak aktif, which
slipped, and the reports by type and by sector as a chart: `/ringkasan`, and the weekly summary
officers get on Monday morning.

A month in progress is compared with the same days of the month before, never with a whole
month.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from bot.base.models import Reply
from bot.base.status_rules import StatusRules
from bot.base.texts import Texts
from bot.base.timefmt import month_label, period_label
from bot.domain.access import main_role
from bot.reports.charts import Panel, count_chart, top_counts
from bot.reports.group_status import Status, score, slipped, status
from bot.reports.indicators import MonthIndicators, month_bounds, month_indicators
from bot.storage.attachments import keep_attachment
from bot.storage.database import UnitOfWork
from bot.storage.records import Grant, Group, Role
from content.knowledge import Knowledge, pick

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


MonthOf = Callable[[Group, dt.date, dt.datetime | None], Awaitable[MonthIndicators]]
"""One group's indicators for a month, counted up to a moment (if it falls inside)."""


def read_in(uow: UnitOfWork) -> MonthOf:
    """Each group's month read in the transaction `uow` (`/ringkasan`: one read-only
    transaction after the turn)."""

    async def month_of(group: Group, month: dt.date, until: dt.datetime | None) -> MonthIndicators:
        return await month_indicators(uow, group, month, until=until)

    return month_of


async def area_month(
    month_of: MonthOf, scope: str, groups: Sequence[Group], month: dt.date, now: dt.datetime
) -> AreaMonth:
    """Each group's `month` up to `now`, and the month before (its same stretch, if `month` is
    still in progress), each read by `month_of` (a job reads each in a transaction of its own,
    so an area of hundreds of groups never holds the write lock for seconds)."""
    previous = (month - dt.timedelta(days=1)).replace(day=1)
    months, earlier = [], []
    for group in groups:
        current = await month_of(group, month, now)
        compare_until = None
        if current.until is not None:
            elapsed = current.until - month_bounds(group, month)[0]
            compare_until = month_bounds(group, previous)[0] + elapsed
        months.append(current)
        earlier.append(await month_of(group, previous, compare_until))
    return AreaMonth(scope, months, earlier)


def summary_reply(
    texts: Texts, language: str, area: AreaMonth, rules: StatusRules, *, key: str
) -> Reply:
    """The summary in `language` inside the text `key` (with the workbook, or weekly), without
    its chart (`with_chart`)."""
    t = partial(texts.get, language)
    first = area.months[0]
    statuses = Counter(status(month, rules) for month in area.months)
    summary = t(
        "recap.summary",
        scope=area.scope,
        period=period_label(texts, language, first.month, first.until),
        groups=len(area.months),
        active=statuses[Status.ACTIVE],
        less=statuses[Status.LESS_ACTIVE],
        inactive=statuses[Status.INACTIVE],
        slipped=_slipped_lines(t, texts, language, area, rules),
        injuries=sum(month.injuries for month in area.months),
        near_misses=sum(month.near_misses for month in area.months),
        referrals=sum(month.referrals for month in area.months),
        followed=sum(month.followed_up for month in area.months),
        held=sum(month.activities_held for month in area.months),
        planned=sum(month.activities_planned for month in area.months),
    )
    return Reply(key=key, text=t(key, summary=summary))


async def with_chart(
    reply: Reply,
    texts: Texts,
    language: str,
    knowledge: Knowledge,
    area: AreaMonth,
    rules: StatusRules,
    data_dir: Path,
) -> Reply:
    """`reply` with the chart of statuses and reports, drawn in a worker thread and kept as an
    attachment: never inside a transaction."""
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
    return reply.model_copy(update={"photo": path})


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
