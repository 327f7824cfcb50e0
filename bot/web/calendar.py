"""Kegiatan: the coming occurrences of the scope's activities, day by day, with the answers
to their reminders."""

from __future__ import annotations

import datetime as dt
from itertools import groupby
from zoneinfo import ZoneInfo

from bot.domain.recurrence import Recurrence, Repeat
from bot.web.visit import Page, Visit

LOOK_AHEAD = dt.timedelta(days=31)
"""As far as `/kegiatan` looks."""
MAX_LISTED = 200


async def activities_page(visit: Visit) -> Page:
    found = []
    for group in visit.viewer.groups:
        zone = ZoneInfo(group.timezone)
        for activity in await visit.uow.activities.active(group.id):
            rule = Recurrence(Repeat(activity.repeat), activity.first_at.astimezone(zone))
            for moment in rule.occurrences(visit.now, visit.now + LOOK_AHEAD):
                found.append((moment, activity, group))
    found.sort(key=lambda item: (item[0], item[2].name))
    rows = []
    for moment, activity, group in found[:MAX_LISTED]:
        answers = await visit.uow.rsvps.counts(activity.id, moment)
        local = moment.astimezone(ZoneInfo(group.timezone))
        rows.append(
            {
                "day": f"{visit.t(f'weekday.{local.weekday()}')} {local:%d-%m-%Y}",
                "time": f"{local:%H:%M} {local.tzname()}",
                "title": activity.title,
                "place": activity.place,
                "group": group,
                "answers": visit.t(
                    "web.answers", yes=answers.get("yes", 0), no=answers.get("no", 0)
                ),
            }
        )
    days = [(day, list(items)) for day, items in groupby(rows, key=lambda row: row["day"])]
    return Page("activities.html", {"days": days, "look_ahead": LOOK_AHEAD.days})
