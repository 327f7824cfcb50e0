"""Moments shown to people: always the weekday, the local time and the zone's name."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from bot.base.texts import Texts

ZONE_NAMES = {"Asia/Jakarta": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT"}


def local_label(texts: Texts, language: str, moment: dt.datetime, zone: str) -> str:
    """ "Senin 30-11-2026 08:00 WITA": the weekday always, so a wrong date is noticed."""
    local = moment.astimezone(ZoneInfo(zone))
    weekday = texts.get(language, f"weekday.{local.weekday()}")
    return f"{weekday} {local:%d-%m-%Y %H:%M} {ZONE_NAMES.get(zone, zone)}"


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
