"""Moments shown to people: always the weekday, the local time and the zone's name."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from bot.base.texts import Texts


def local_label(texts: Texts, language: str, moment: dt.datetime, zone: str) -> str:
    """ "Senin 30-11-2026 08:00 WITA": the weekday always, so a wrong date is noticed; the zone
    by its abbreviation (WIB, WITA, WIT), or its name where it has none."""
    local = moment.astimezone(ZoneInfo(zone))
    weekday = texts.get(language, f"weekday.{local.weekday()}")
    name = local.tzname() or zone
    return f"{weekday} {local:%d-%m-%Y %H:%M} {zone if name[0] in '+-' else name}"


def month_label(texts: Texts, language: str, month: dt.date) -> str:
    """ "November 2026"."""
    return f"{texts.get(language, f'month.{month.month}')} {month.year}"


def period_label(texts: Texts, language: str, month: dt.date, until: dt.datetime | None) -> str:
    """A month, or the part of it counted so far: "November 2026, sampai 23 November"."""
    name = month_label(texts, language, month)
    if until is None:
        return name
    last = (until - dt.timedelta(microseconds=1)).date()
    day = f"{last.day} {texts.get(language, f'month.{last.month}')}"
    return texts.get(language, "recap.so_far", month=name, day=day)
