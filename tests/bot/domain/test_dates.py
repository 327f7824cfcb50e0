"""Dates typed the way people write them, in the group's time zone (WITA here)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.dates import WEEKDAYS, ParsedPast, Problem, parse_past, parse_when

WITA = ZoneInfo("Asia/Makassar")
NOW = dt.datetime(2026, 11, 23, 10, 30, tzinfo=WITA)  # Monday 23 November 2026, 10:30 WITA


def at(month: int, day: int, hour: int, minute: int = 0, year: int = 2026) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=WITA)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("besok jam 8", at(11, 24, 8)),
        ("Besok jam 8 pagi", at(11, 24, 8)),
        ("lusa 14.30", at(11, 25, 14, 30)),
        ("hari ini jam 4 sore", at(11, 23, 16)),
        ("hari ini jam 7 malam", at(11, 23, 19)),
        ("besok jam 12 malam", at(11, 24, 0)),
        ("10/12 09.00", at(12, 10, 9)),
        ("10-12-2026 9:00", at(12, 10, 9)),
        ("10/12/26 jam 9", at(12, 10, 9)),
        ("5/1 08.00", at(1, 5, 8, year=2027)),
        ("Senin depan jam 14.00", at(11, 30, 14)),
        ("senin jam 14", at(11, 23, 14)),
        ("senin jam 9", at(11, 30, 9)),
        ("kamis jam 7 malam", at(11, 26, 19)),
        ("jumat, pukul 15.30", at(11, 27, 15, 30)),
        ("12 Desember jam 8", at(12, 12, 8)),
        ("3 jan 2027 pkl 10", at(1, 3, 10, year=2027)),
        ("jam 16", at(11, 23, 16)),
        ("jam 9", at(11, 24, 9)),
        ("tomorrow at 9 am", at(11, 24, 9)),
        ("friday 3 pm", at(11, 27, 15)),
    ],
)
def test_understood(typed: str, expected: dt.datetime) -> None:
    assert parse_when(typed, NOW).moment == expected


WEDNESDAY = dt.datetime(2026, 11, 25, 10, 30, tzinfo=WITA)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("Senin depan jam 14.00", at(11, 30, 14)),  # not 7 December, the Monday after next
        ("selasa depan jam 9", at(12, 1, 9)),
        ("rabu depan jam 9", at(12, 2, 9)),
        ("jumat depan jam 9", at(12, 4, 9)),
        ("minggu depan jam 9", at(12, 6, 9)),
        ("senin jam 9", at(11, 30, 9)),
    ],
)
def test_next_week_typed_on_a_wednesday(typed: str, expected: dt.datetime) -> None:
    assert parse_when(typed, WEDNESDAY).moment == expected


@given(st.dates(dt.date(2026, 1, 1), dt.date(2030, 12, 31)), st.sampled_from(sorted(WEEKDAYS)))
def test_a_weekday_depan_is_that_day_of_next_week(today: dt.date, word: str) -> None:
    """Whatever the day it is typed on, "<day> depan" is in the calendar week after."""
    now = dt.datetime.combine(today, dt.time(10), tzinfo=WITA)
    moment = parse_when(f"{word} depan jam 9", now).moment
    assert moment is not None
    monday = today - dt.timedelta(days=today.weekday())
    assert moment.date() == monday + dt.timedelta(days=7 + WEEKDAYS[word])


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("besok", Problem.NO_TIME),
        ("10/12", Problem.NO_TIME),
        ("31/2 jam 8", Problem.INVALID),
        ("besok jam 25", Problem.INVALID),
        ("besok jam 8.75", Problem.INVALID),
        ("1/1/2020 jam 8", Problem.PAST),
        ("hari ini jam 9", Problem.PAST),
        ("kapan-kapan", Problem.NO_TIME),
    ],
)
def test_refused_with_a_reason(typed: str, problem: Problem) -> None:
    parsed = parse_when(typed, NOW)
    assert parsed.moment is None
    assert parsed.problem is problem


@given(st.text(max_size=60))
def test_any_text_gets_a_moment_in_the_future_or_a_reason(typed: str) -> None:
    parsed = parse_when(typed, NOW)
    assert (parsed.moment is None) != (parsed.problem is None)
    assert parsed.moment is None or parsed.moment > NOW


@pytest.mark.parametrize(
    ("typed", "date", "time"),
    [
        ("kemarin", dt.date(2026, 11, 22), None),
        ("kmrn jam 3 sore", dt.date(2026, 11, 22), dt.time(15)),
        ("tadi jam 7", dt.date(2026, 11, 23), dt.time(7)),
        ("jam 9 malam", dt.date(2026, 11, 22), dt.time(21)),  # not yet tonight: last night
        ("Sabtu", dt.date(2026, 11, 21), None),
        ("senin jam 8", dt.date(2026, 11, 23), dt.time(8)),
        ("20/11 16.00", dt.date(2026, 11, 20), dt.time(16)),
        ("28/12", dt.date(2025, 12, 28), None),  # December has not come yet: last year's
        ("3 Nov", dt.date(2026, 11, 3), None),
    ],
)
def test_when_something_happened(typed: str, date: dt.date, time: dt.time | None) -> None:
    assert parse_past(typed, NOW) == ParsedPast(date, time)


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("besok", Problem.FUTURE),
        ("hari ini jam 11", Problem.FUTURE),
        ("31/2", Problem.INVALID),
        ("kemarin jam 25", Problem.INVALID),
        ("di kebun", Problem.INVALID),
    ],
)
def test_when_something_happened_refused(typed: str, problem: Problem) -> None:
    assert parse_past(typed, NOW).problem is problem
