"""Saying "melaut 3 hari" holds ordinary messages until the worker is back."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.core.engine import Engine
from handlers.away import absence_days
from tests.conftest import START, RowCounter, person


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("besok sy melaut 3 hari", 3),
        ("Pergi 2 minggu ke Tarakan", 14),
        ("berlayar kira2 10 hr", 10),
        ("melaut", None),
        ("melaut 99 hari", None),
        ("kena kail 3 hari lalu", None),
    ],
)
def test_absence_in_plain_words(text: str, days: int | None) -> None:
    assert absence_days(text) == days


async def test_melaut_in_free_text_is_repeated_back_then_saved(
    engine: Engine, rows: RowCounter
) -> None:
    budi = person(engine, "budi")
    await budi.say("sy melaut 3 hari ya")
    assert budi.keys == ["away.confirm"]
    assert "Kamis 26-11-2026 09:00" in budi.last[0].text  # 3 days from 09:00 WITA on Monday
    await budi.say("ya")
    assert budi.keys == ["away.set", "cards.offer_sea"]  # tests/handlers/test_cards.py
    await budi.say("tidak")
    away = rows("SELECT away_until FROM users WHERE platform_id = 'demo:budi'")
    assert away == [((START + dt.timedelta(days=3)).isoformat(timespec="seconds"),)]
    await budi.say("/kembali")
    assert budi.keys == ["away.cleared", "menu.title"]
    assert rows("SELECT away_until FROM users WHERE platform_id = 'demo:budi'") == [(None,)]


async def test_pergi_asks_how_many_days_and_reprompts(engine: Engine) -> None:
    budi = person(engine, "budi")
    await budi.say("/pergi")
    assert budi.keys == ["away.ask_days"]
    await budi.say("lama")
    assert budi.keys == ["away.days_invalid", "away.ask_days"]
    await budi.tap("away:7")
    assert budi.keys == ["away.confirm"]
    await budi.say("tidak")
    assert budi.keys == ["common.cancelled", "menu.title"]


async def test_first_aid_is_not_mistaken_for_absence(engine: Engine) -> None:
    budi = person(engine, "budi")
    await budi.say("kena kail 3 hari lalu skrg bengkak bernanah")
    assert budi.keys[0] == "first_aid.card"
