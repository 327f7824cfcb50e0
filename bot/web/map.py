"""Peta: reports with a shared location and the groups among them, filtered like the list.

**Choice**: no map tiles. Tiles need the internet and a tile server's terms; the points are
drawn on a plain latitude / longitude grid with their labels, which works offline and weighs a
few kilobytes. Groups have no coordinates of their own (only a village name), so a group is
drawn at the centre of its located reports, and the page says so.
"""

from __future__ import annotations

from statistics import fmean

from bot.reports.incident_list import find_reports
from bot.web.reports import filter_form, filters
from bot.web.svg import Point, point_map
from bot.web.visit import Page, Visit

MAX_POINTS = 500


async def map_page(visit: Visit) -> Page:
    chosen = filters(visit, default_period="all")
    incidents = await find_reports(visit.uow, visit.viewer.groups, chosen, visit.now)
    located = [i for i in incidents if i.latitude is not None and i.longitude is not None][
        :MAX_POINTS
    ]
    points = [
        Point(i.latitude, i.longitude, i.reference[-6:].lstrip("0"))
        for i in located
        if i.latitude is not None and i.longitude is not None
    ]
    placed, unplaced = [], []
    for group in visit.viewer.groups:
        own = [p for p, i in zip(points, located, strict=True) if i.group_id == group.id]
        if own:
            centre = (fmean(p.latitude for p in own), fmean(p.longitude for p in own))
            placed.append(Point(*centre, group.village, group=True))
        else:
            unplaced.append(group.village)
    chart, step = point_map(visit.t("web.map_chart"), points + placed) if points else (None, 0)
    return Page(
        "map.html",
        {
            "form": filter_form(visit, chosen),
            "chart": chart,
            "step": step,
            "located": located,
            "unplaced": ", ".join(unplaced),
        },
    )
