"""Phone numbers typed or shared in the ways Indonesians write them."""

from __future__ import annotations

import pytest

from bot.domain.phones import normalise_phone


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("0812-3456-7890", "+6281234567890"),
        ("+62 812 3456 7890", "+6281234567890"),
        ("6281234567890", "+6281234567890"),
        ("(0548) 21234", "+6254821234"),
        ("+60 12-345 6789", "+60123456789"),
        ("60123456789", "+60123456789"),
    ],
)
def test_accepted_forms(typed: str, expected: str) -> None:
    assert normalise_phone(typed) == expected


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "hp sy rusak",
        "12345",
        "0812",
        "+1 415 555 0100",  # valid, but from no accepted country
        "08" + "1" * 20,
        "+62 111 1111 111",  # no such Indonesian number
        "0111 1111 111",
        "+62 812 3456 7890 1234",
    ],
)
def test_rejected(typed: str) -> None:
    assert normalise_phone(typed) is None
