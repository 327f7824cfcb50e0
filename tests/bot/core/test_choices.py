"""Typed answers match offered choices by number, label or yes/no word, and nothing else."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.core.choices import match_offered

OFFERED = [
    {"token": "consent:yes", "label": "Setuju"},
    {"token": "consent:no", "label": "Tidak setuju"},
]


def test_number_label_and_yes_no_words() -> None:
    assert match_offered("1", OFFERED) == "consent:yes"
    assert match_offered(" 2. ", OFFERED) == "consent:no"
    assert match_offered("TIDAK SETUJU!", OFFERED) == "consent:no"
    assert match_offered("iya", OFFERED) == "consent:yes"
    assert match_offered("gak", OFFERED) == "consent:no"
    assert match_offered("3", OFFERED) is None
    assert match_offered("0", OFFERED) is None
    assert match_offered("mungkin", OFFERED) is None


def test_small_typos_in_long_labels_are_forgiven_when_unambiguous() -> None:
    offered = [
        {"token": "fa:kader", "label": "Beri tahu kader"},
        {"token": "fa:danger", "label": "Tanda bahaya"},
        {"token": "fa:menu", "label": "Menu"},
    ]
    assert match_offered("beer tahu kader", offered) == "fa:kader"
    assert match_offered("tanda bahya", offered) == "fa:danger"
    assert match_offered("meni", offered) is None


def test_whole_words_of_exactly_one_label_are_enough() -> None:
    offered = [
        {"token": "a:all", "label": "Semua anggota"},
        {"token": "a:kader", "label": "Kader saja"},
        {"token": "a:kader_wa", "label": "Kader WA saja"},
    ]
    assert match_offered("semua", offered) == "a:all"
    assert match_offered("Kader WA", offered) == "a:kader_wa"
    assert match_offered("kader", offered) is None, "two labels say kader: ask again"
    assert match_offered("saja", offered) is None
    assert match_offered("ka", offered) is None, "too short to be a word of a label"
    assert match_offered("sem", offered) is None, "parts of words do not count"


def test_yes_word_does_not_guess_between_several_yes_options() -> None:
    offered = [{"token": "a:yes", "label": "A"}, {"token": "b:yes", "label": "B"}]
    assert match_offered("ya", offered) is None


@given(st.text(max_size=50))
def test_never_returns_a_token_that_was_not_offered(text: str) -> None:
    assert match_offered(text, OFFERED) in {None, "consent:yes", "consent:no"}
