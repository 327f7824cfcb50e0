"""The one source of the current time, so tests can move it."""

from __future__ import annotations

import datetime as dt


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def to_db(moment: dt.datetime) -> str:
    """Times are stored as ISO-8601 UTC text, which sorts and compares correctly in SQL."""
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds")


def from_db(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)
