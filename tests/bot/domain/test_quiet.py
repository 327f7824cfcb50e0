"""Quiet hours in local time and away status decide when non-urgent messages may go."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.domain.quiet import QuietHours, deliverable_from

NIGHT = QuietHours.parse("21:00-05:00")
UTC = dt.UTC


def at(hour: int, minute: int = 0, day: int = 23) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("now", "zone", "expected"),
    [
        (at(3), "Asia/Makassar", None),  # 11:00 WITA: fine
        (at(12, 59), "Asia/Makassar", None),  # 20:59 WITA: not yet quiet
        (at(13), "Asia/Makassar", at(21)),  # 21:00 WITA: wait until 05:00 WITA = 21:00 UTC
        (at(20, 59), "Asia/Makassar", at(21)),  # 04:59 WITA: still quiet for a minute
        (at(14), "Asia/Jakarta", at(22)),  # 21:00 WIB: until 05:00 WIB = 22:00 UTC
        (at(12), "Asia/Jayapura", at(20)),  # 21:00 WIT: until 05:00 WIT = 20:00 UTC
    ],
)
def test_quiet_hours_follow_the_local_clock(
    now: dt.datetime, zone: str, expected: dt.datetime | None
) -> None:
    result = deliverable_from(now, urgent=False, quiet=NIGHT, timezone=zone, away_until=None)
    assert result == expected


def test_urgent_messages_ignore_quiet_hours_and_absence() -> None:
    away = at(12, day=26)
    assert (
        deliverable_from(
            at(14), urgent=True, quiet=NIGHT, timezone="Asia/Makassar", away_until=away
        )
        is None
    )


def test_away_then_quiet_hours_on_return() -> None:
    back = dt.datetime(2026, 11, 26, 14, 0, tzinfo=UTC)  # 22:00 WITA: quiet when they return
    result = deliverable_from(
        at(3), urgent=False, quiet=NIGHT, timezone="Asia/Makassar", away_until=back
    )
    assert result == dt.datetime(2026, 11, 26, 21, 0, tzinfo=UTC)


def test_a_window_within_one_day() -> None:
    lunch = QuietHours.parse("12:00-13:00")
    assert lunch.contains(dt.time(12, 30))
    assert not lunch.contains(dt.time(13, 0))


def test_an_empty_window_means_no_quiet_hours() -> None:
    never = QuietHours.parse("00:00-00:00")
    assert not any(never.contains(dt.time(hour, 30)) for hour in range(24))
