"""Moments shown to people: always the weekday, the local time and the zone's name."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from bot.texts import Texts

ZONE_NAMES = {"Asia/Jakarta": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT"}


def local_label(texts: Texts, language: str, moment: dt.datetime, zone: str) -> str:
    """ "Senin 30-11-2026 08:00 WITA": the weekday always, so a wrong date is noticed."""
    local = moment.astimezone(ZoneInfo(zone))
    weekday = texts.get(language, f"weekday.{local.weekday()}")
    return f"{weekday} {local:%d-%m-%Y %H:%M} {ZONE_NAMES.get(zone, zone)}"
