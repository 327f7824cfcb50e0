"""Grup: the groups in scope, and one group's month (members, activities, attendance,
reports) with its score over the last twelve months."""

from __future__ import annotations

import datetime as dt

from bot.base.timefmt import period_label
from bot.reports.group_status import score, status
from bot.reports.indicators import local_month, month_indicators
from bot.web.svg import line
from bot.web.visit import Page, Visit

MONTHS_SHOWN = 12


def _months_back(month: dt.date, count: int) -> list[dt.date]:
    """`count` first days of months ending with `month`, oldest first."""
    months = [month]
    for _ in range(count - 1):
        months.append((months[-1] - dt.timedelta(days=1)).replace(day=1))
    return months[::-1]


async def groups_page(visit: Visit) -> Page:
    return Page("groups.html", {"groups": visit.viewer.groups})


async def group_page(visit: Visit) -> Page:
    """One group of the scope; another group's number is refused like a missing one."""
    group = visit.viewer.group(int(visit.request.path_params["group"]))
    rules, language = visit.settings.status_rules, visit.viewer.language
    month = local_month(visit.now, group.timezone)
    history = [
        await month_indicators(visit.uow, group, m, until=visit.now)
        for m in _months_back(month, MONTHS_SHOWN)
    ]
    current = history[-1]
    points = [
        (visit.t(f"month.{m.month.month}")[:3], score(m, rules) if m.members else None)
        for m in history
    ]
    rate = current.attendance_rate
    return Page(
        "group.html",
        {
            "group": group,
            "sector": visit.t(f"reports.sector_{group.sector.value}"),
            "period": period_label(visit.texts, language, current.month, current.until),
            "month": current,
            "status": visit.t(f"recap.status_{status(current, rules).value}"),
            "score": score(current, rules),
            "attendance": "-" if rate is None else f"{rate:.0%}",
            "chart": line(visit.t("web.score_chart"), points),
        },
    )
