"""Dates and times as people type them, in the group's time zone.

"besok jam 8", "lusa 14.30", "hari ini jam 4 sore", "10/12 09.00", "10-12-2026 9:00",
"Senin depan jam 14.00", "kamis jam 7 malam", "12 Desember jam 8". A date without a time, a time
that does not exist or a moment already past is refused: the bot asks again and always repeats
the exact weekday, date and time back before saving anything.

`parse_past` reads when something already happened ("kemarin", "tadi jam 7", "Senin", "10/12"):
there a date alone is enough, and a moment still to come is refused.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from enum import Enum

WEEKDAYS = {
    "senin": 0, "selasa": 1, "rabu": 2, "kamis": 3, "jumat": 4, "sabtu": 5, "minggu": 6,
    "monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5,
    "sunday": 6, "ahad": 6,
}  # fmt: skip
MONTHS = {
    "januari": 1, "jan": 1, "februari": 2, "feb": 2, "pebruari": 2, "maret": 3, "mar": 3,
    "april": 4, "apr": 4, "mei": 5, "juni": 6, "jun": 6, "juli": 7, "jul": 7, "agustus": 8,
    "agu": 8, "agt": 8, "ags": 8, "september": 9, "sep": 9, "sept": 9, "oktober": 10, "okt": 10,
    "november": 11, "nov": 11, "nop": 11, "desember": 12, "des": 12, "january": 1, "february": 2,
    "march": 3, "may": 5, "june": 6, "july": 7, "august": 8, "aug": 8, "october": 10, "oct": 10,
    "december": 12, "dec": 12,
}  # fmt: skip
RELATIVE_DAYS = {
    "hari ini": 0, "today": 0, "tadi": 0, "besok": 1, "tomorrow": 1, "lusa": 2, "kemarin": -1,
    "kmrn": -1, "kemaren": -1, "yesterday": -1,
}  # fmt: skip
# Part of day after the hour: "jam 7 malam" is 19:00, "jam 2 siang" 14:00, "jam 12 malam" 00:00.
AFTERNOON = frozenset({"siang", "sore", "malam", "pm"})

_TIME = re.compile(
    r"(?:\b(?:jam|pukul|pkl|at)\s*)?\b(\d{1,2})(?:[.:](\d{2}))?\s*(pagi|subuh|siang|sore|malam|am|pm)?\b"
)
_NUMERIC_DATE = re.compile(r"\b(\d{1,2})[/-](\d{1,2})(?:[/-](\d{2,4}))?\b")
_NAMED_DATE = re.compile(r"\b(\d{1,2})\s+([a-z]+)(?:\s+(\d{4}))?\b")


class Problem(Enum):
    NO_TIME = "no_time"
    INVALID = "invalid"
    PAST = "past"
    FUTURE = "future"


@dataclass(frozen=True)
class Parsed:
    moment: dt.datetime | None
    problem: Problem | None = None


@dataclass(frozen=True)
class ParsedPast:
    """A local date, with its time when one was given; or why the text cannot be used."""

    date: dt.date | None
    time: dt.time | None = None
    problem: Problem | None = None


@dataclass(frozen=True)
class _DateFound:
    date: dt.date | None  # None: named, but impossible (31/2)
    rest: str
    roll: dt.timedelta | None = None
    """If the moment is on the wrong side of now: a bare weekday means the next (or, for
    `parse_past`, the previous) week's, a bare time the next (previous) day's."""
    named: bool = True  # False: the text names no date, so today is assumed


ROLL_WEEK = dt.timedelta(days=7)


def simplify(text: str) -> str:
    """Lower case, no accents or commas, single spaces; keeps / - . : for dates and times."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return " ".join(ascii_text.lower().replace(",", " ").split())


def parse_when(text: str, now: dt.datetime) -> Parsed:
    """The moment `text` names, in `now`'s time zone, or why it cannot be used."""
    found = _find_date(simplify(text), now.date())
    if found.date is None:
        return Parsed(None, Problem.INVALID)
    match = _TIME.search(found.rest)
    if match is None:
        return Parsed(None, Problem.NO_TIME)
    time = _time(match)
    if time is None:
        return Parsed(None, Problem.INVALID)
    moment = dt.datetime.combine(found.date, time, tzinfo=now.tzinfo)
    if moment <= now and found.roll is not None:
        moment += found.roll
    if moment <= now:
        return Parsed(None, Problem.PAST)
    return Parsed(moment)


def parse_past(text: str, now: dt.datetime) -> ParsedPast:
    """When something happened, in `now`'s time zone: a date, and a time if one was given."""
    found = _find_date(simplify(text), now.date(), past=True)
    if found.date is None:
        return ParsedPast(None, problem=Problem.INVALID)
    match = _TIME.search(found.rest)
    time = _time(match) if match else None
    if (match and time is None) or (match is None and not found.named):
        return ParsedPast(None, problem=Problem.INVALID)
    moment = dt.datetime.combine(found.date, time or dt.time(0), tzinfo=now.tzinfo)
    if moment > now and found.roll is not None:
        moment -= found.roll
    if moment > now:
        return ParsedPast(None, problem=Problem.FUTURE)
    return ParsedPast(moment.date(), time)


def _cut(text: str, match: re.Match[str]) -> str:
    return f"{text[: match.start()]} {text[match.end() :]}"


def _find_date(text: str, today: dt.date, *, past: bool = False) -> _DateFound:
    for words, offset in RELATIVE_DAYS.items():
        found = re.search(rf"\b{words}\b", text)
        if found:
            return _DateFound(today + dt.timedelta(days=offset), _cut(text, found))
    numeric = _NUMERIC_DATE.search(text)
    if numeric:
        day, month, year = int(numeric.group(1)), int(numeric.group(2)), numeric.group(3)
        return _DateFound(_calendar_date(day, month, year, today, past), _cut(text, numeric))
    for named in _NAMED_DATE.finditer(text):
        month_number = MONTHS.get(named.group(2))
        if month_number is not None:
            date = _calendar_date(int(named.group(1)), month_number, named.group(3), today, past)
            return _DateFound(date, _cut(text, named))
    for word, weekday in WEEKDAYS.items():
        found = re.search(rf"\b{word}\b(\s+depan)?", text)
        if found:
            if past:  # the latest such day, today included
                back = (today.weekday() - weekday) % 7
                return _DateFound(today - dt.timedelta(days=back), _cut(text, found))
            if found.group(1):  # "Senin depan": the Monday of next week, whatever today is
                next_week = today + dt.timedelta(days=7 - today.weekday())
                return _DateFound(next_week + dt.timedelta(days=weekday), _cut(text, found))
            ahead = (weekday - today.weekday()) % 7
            return _DateFound(today + dt.timedelta(days=ahead), _cut(text, found), ROLL_WEEK)
    return _DateFound(today, text, dt.timedelta(days=1), named=False)  # a time alone


def _calendar_date(
    day: int, month: int, year: str | None, today: dt.date, past: bool
) -> dt.date | None:
    full_year = today.year if year is None else int(year) + (2000 if len(year) == 2 else 0)
    try:
        date = dt.date(full_year, month, day)
        if year is None and not past and date < today:
            date = date.replace(year=today.year + 1)  # "10/1" typed in December: next January
        if year is None and past and date > today:
            date = date.replace(year=today.year - 1)  # "28/12" typed in January: last December
    except ValueError:
        return None
    return date


def _time(match: re.Match[str]) -> dt.time | None:
    hour, minute, part = int(match.group(1)), int(match.group(2) or 0), match.group(3)
    if part in AFTERNOON and hour < 12:
        hour += 12
    elif part == "malam" and hour == 12:
        hour = 0
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        return None
    return dt.time(hour, minute)
