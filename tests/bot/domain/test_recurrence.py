"""Recurring activities in WIB, WITA and WIT: weekly, monthly by day, monthly by nth weekday."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from bot.domain.recurrence import Recurrence, Repeat

WITA = ZoneInfo("Asia/Makassar")


def local(zone: ZoneInfo, month: int, day: int, hour: int = 8, year: int = 2027) -> dt.datetime:
    return dt.datetime(year, month, day, hour, 0, tzinfo=zone)


def next_dates(rule: Recurrence, count: int) -> list[str]:
    after = rule.first - dt.timedelta(seconds=1)
    found = rule.occurrences(after, rule.first + dt.timedelta(days=400))
    return [f"{moment:%Y-%m-%d %H:%M %a}" for moment in found[:count]]


def test_monthly_on_day_31_falls_on_the_last_day_of_shorter_months() -> None:
    rule = Recurrence(Repeat.MONTHLY_DAY, local(WITA, 1, 31))
    assert next_dates(rule, 4) == [
        "2027-01-31 08:00 Sun",
        "2027-02-28 08:00 Sun",
        "2027-03-31 08:00 Wed",
        "2027-04-30 08:00 Fri",
    ]


def test_monthly_on_day_10() -> None:
    rule = Recurrence(Repeat.MONTHLY_DAY, local(WITA, 1, 10))
    assert next_dates(rule, 3) == [
        "2027-01-10 08:00 Sun",
        "2027-02-10 08:00 Wed",
        "2027-03-10 08:00 Wed",
    ]


def test_the_second_tuesday_of_each_month() -> None:
    rule = Recurrence(
        Repeat.MONTHLY_WEEKDAY, local(WITA, 1, 12)
    )  # 12 January 2027 is the 2nd Tuesday
    assert next_dates(rule, 3) == [
        "2027-01-12 08:00 Tue",
        "2027-02-09 08:00 Tue",
        "2027-03-09 08:00 Tue",
    ]


def test_a_fifth_weekday_becomes_the_last_of_each_month() -> None:
    rule = Recurrence(Repeat.MONTHLY_WEEKDAY, local(WITA, 3, 29))  # 29 March 2027: 5th Monday
    assert next_dates(rule, 3) == [
        "2027-03-29 08:00 Mon",
        "2027-04-26 08:00 Mon",
        "2027-05-31 08:00 Mon",
    ]


def test_weekly_and_once() -> None:
    weekly = Recurrence(Repeat.WEEKLY, local(WITA, 1, 4, hour=16))
    assert next_dates(weekly, 3) == [
        "2027-01-04 16:00 Mon",
        "2027-01-11 16:00 Mon",
        "2027-01-18 16:00 Mon",
    ]
    once = Recurrence(Repeat.ONCE, local(WITA, 1, 4))
    assert next_dates(once, 3) == ["2027-01-04 08:00 Mon"]


@pytest.mark.parametrize(
    ("zone", "utc_hour"), [("Asia/Jakarta", 1), ("Asia/Makassar", 0), ("Asia/Jayapura", 23)]
)
def test_local_time_is_kept_in_each_time_zone(zone: str, utc_hour: int) -> None:
    rule = Recurrence(Repeat.WEEKLY, local(ZoneInfo(zone), 1, 4))
    moments = rule.occurrences(rule.first, rule.first + dt.timedelta(days=15))
    assert [m.astimezone(dt.UTC).hour for m in moments] == [utc_hour, utc_hour]
    assert all(m.astimezone(ZoneInfo(zone)).hour == 8 for m in moments)


def test_only_occurrences_inside_the_window() -> None:
    rule = Recurrence(Repeat.WEEKLY, local(WITA, 1, 4))
    after, until = local(WITA, 1, 10), local(WITA, 1, 25)
    assert [m.day for m in rule.occurrences(after, until)] == [11, 18, 25]
