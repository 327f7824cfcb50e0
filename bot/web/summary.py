"""Ringkasan: the groups in scope by status, those that slipped, this month's reports against
the same days of last month, and the reports still waiting for someone to act."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from bot.base.timefmt import month_label, period_label
from bot.reports.area_summary import area_month, read_in, scope_label
from bot.reports.group_status import Status, score, slipped, status
from bot.reports.indicators import MonthIndicators, local_month
from bot.storage.incidents import IncidentFilter
from bot.web.svg import Bar, bars
from bot.web.visit import Page, Visit


async def summary_page(visit: Visit) -> Page:
    viewer, rules = visit.viewer, visit.settings.status_rules
    if not viewer.groups:
        return Page("summary.html", {"area": None})
    t, language = visit.t, viewer.language
    scope = scope_label(visit.texts, language, viewer.groups, viewer.grants)
    month = local_month(visit.now, visit.settings.default_timezone)
    area = await area_month(read_in(visit.uow), scope, viewer.groups, month, visit.now)
    statuses = Counter(status(m, rules) for m in area.months)
    by_status = [Bar(t(f"recap.status_{s.value}"), (statuses[s],)) for s in Status]
    totals = {
        name: (_total(area.months, name), _total(area.earlier, name))
        for name in ("injuries", "near_misses", "referrals")
    }
    compare = [Bar(t(f"web.{name}"), values) for name, values in totals.items()]
    first = area.months[0]
    previous = month_label(visit.texts, language, area.earlier[0].month)
    waiting = await visit.uow.incidents.find(
        IncidentFilter(group_ids=[g.id for g in viewer.groups], statuses=["open"])
    )
    rows = [
        {
            "group": m.group,
            "status": t(f"recap.status_{status(m, rules).value}"),
            "score": score(m, rules),
            "score_before": score(before, rules),
            "active": f"{m.active_members}/{m.members}",
            "slipped": slipped(before, m, rules),
        }
        for before, m in zip(area.earlier, area.months, strict=True)
    ]
    return Page(
        "summary.html",
        {
            "area": area,
            "period": period_label(visit.texts, language, first.month, first.until),
            "previous": previous,
            "status_chart": bars(t("web.by_status"), by_status),
            "compare_chart": bars(t("web.reports_compare"), compare),
            "totals": totals,
            "waiting": len(waiting),
            "rows": rows,
            "slipped": [row for row in rows if row["slipped"]],
        },
    )


def _total(months: Sequence[MonthIndicators], name: str) -> int:
    return sum(int(getattr(month, name)) for month in months)
