"""What a person's words say about an incident: body part, work, place and trade."""

from __future__ import annotations

import pytest

from bot.domain.incident_words import IncidentWords as W
from bot.domain.incident_words import read_incident_words
from content.schema import Sector

PLANTATION, FISHING = Sector.PLANTATION, Sector.FISHING


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tangan tertusuk duri sawit waktu panen", W("hand", "harvest", None, PLANTATION)),
        ("jari2nya kena pisau bersihin ikan di perahu", W("hand", None, "boat", FISHING)),
        ("kaki terkilir waktu angkat tandan di TPH", W("leg", "carry", "collection", PLANTATION)),
        ("jatuh dari motor di jalan pulang kerja", W(None, "commute", "road", None)),
        ("kena mata kail di dermaga", W(None, None, "dock", FISHING)),
        ("jari kaki kejatuhan buah", W("leg", None, None, None)),
        ("tangan dan kaki luka bakar", W("several", None, None, None)),
        ("kepala kena pelepah waktu dodos di blok 12", W("head", "harvest", "field", PLANTATION)),
        ("jari terjepit mesin ketinting di laut", W("hand", "engine", "boat", FISHING)),
        ("ikan pari di kebun sawit", W(None, None, "field", None)),
        ("sesak napas", W()),
    ],
)  # fmt: skip
def test_what_the_words_say(text: str, expected: W) -> None:
    assert read_incident_words(text) == expected


def test_two_works_named_answer_no_work_question() -> None:
    assert read_incident_words("habis memupuk lalu menyemprot").activity is None
