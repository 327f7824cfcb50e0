"""A kader's group's month in a few short lines, a chart and one suggestion: `/capaian`, and the
recap each kader gets on the 1st."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from functools import partial
from pathlib import Path

from bot.base.models import Reply
from bot.base.status_rules import StatusRules
from bot.base.texts import Texts
from bot.base.timefmt import month_label, period_label
from bot.reports.charts import Progress, progress_chart
from bot.reports.group_status import score, status
from bot.reports.indicators import MonthIndicators
from bot.storage.attachments import keep_attachment


def achievement_reply(
    texts: Texts, language: str, month: MonthIndicators, rules: StatusRules
) -> Reply:
    """The month's lines and suggestion in `language`, without the chart (`with_chart`)."""
    t = partial(texts.get, language)
    key = "recap.achievement"
    return Reply(
        key=key,
        text=t(
            key,
            group=month.group.name,
            period=period_label(texts, language, month.month, month.until),
            held=month.activities_held,
            planned=month.activities_planned,
            present=_average_present(month),
            members=month.members,
            active=month.active_members,
            injuries=month.injuries,
            followed=month.followed_up,
            referrals=month.referrals,
            status=t(f"recap.status_{status(month, rules).value}"),
            score=score(month, rules),
            suggestion=suggestion(texts, language, month, rules),
        ),
    )


async def with_chart(
    reply: Reply, texts: Texts, language: str, month: MonthIndicators, data_dir: Path
) -> Reply:
    """`reply` with the month's progress chart, drawn in a worker thread and kept as an
    attachment: never inside a transaction."""
    t = partial(texts.get, language)
    period = period_label(texts, language, month.month, month.until)
    title = t("recap.chart_title", group=month.group.name, period=period)
    chart = await asyncio.to_thread(progress_chart, title, _bars(t, month))
    path = await keep_attachment(data_dir, f"capaian-{month.month:%Y-%m}", ".png", chart)
    return reply.model_copy(update={"photo": path})


def suggestion(texts: Texts, language: str, month: MonthIndicators, rules: StatusRules) -> str:
    """One concrete thing to do next, the most pressing first."""

    t = partial(texts.get, language)

    when = (
        t("recap.this_month")
        if month.until is not None
        else t("recap.in_month", month=month_label(texts, language, month.month))
    )
    unhandled = month.injuries - month.followed_up
    if month.members == 0:
        return t("recap.tip_no_members", code=month.group.join_code)
    if unhandled > 0:
        return t("recap.tip_follow_up", count=unhandled)
    if month.activities_held == 0:
        key = "recap.tip_not_recorded" if month.activities_planned else "recap.tip_no_schedule"
        return t(key, when=when)
    if (month.active_share or 0.0) < rules.active_min_member_share:
        return t("recap.tip_few_active", active=month.active_members, members=month.members)
    return t("recap.tip_keep_going")


def _bars(t: Callable[..., str], month: MonthIndicators) -> list[Progress]:
    """Held, active, present and handled, each as a share of its whole."""
    present = _average_present(month)

    def bar(label: str, part: int, whole: int, nothing: str) -> Progress:
        whole = max(whole, part)  # an activity held without a schedule still counts as done
        if not whole:
            return Progress(t(label), None, t(nothing))
        return Progress(t(label), part / whole, t("recap.of", part=part, whole=whole))

    return [
        bar("recap.chart_held", month.activities_held, month.activities_planned,
            "recap.none_planned"),
        bar("recap.chart_active", month.active_members, month.members, "recap.no_members"),
        bar("recap.chart_present", present, month.members if month.activities_held else 0,
            "recap.none_held"),
        bar("recap.chart_followed", month.followed_up, month.injuries, "recap.no_injuries"),
    ]  # fmt: skip


def _average_present(month: MonthIndicators) -> int:
    """People present per activity held, rounded."""
    return round(month.attendances / month.activities_held) if month.activities_held else 0
