"""Triage: the way workers really type still finds the topic, and danger is never missed."""

from __future__ import annotations

import pytest

from content.knowledge import Knowledge
from content.normalise import fold, tokens


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("UBUR2", "ubur ubur"),
        ("ubur-ubur", "ubur ubur"),
        ("sakiiiit", "sakit"),
        ("Tolonggg!!!", "tolong"),
        ("kéna", "kena"),
    ],
)
def test_fold(typed: str, expected: str) -> None:
    assert fold(typed) == expected


def test_tokens_expand_abbreviations_drop_filler_and_strip_affixes() -> None:
    assert tokens("sy ketusuk duri sawit") == tokens("saya tertusuk duri sawit")
    assert tokens("digigit ular") == tokens("gigitan ular")
    assert "saya" not in tokens("sy kena kail")


@pytest.mark.parametrize(
    ("message", "topic"),
    [
        ("kna kail", "fish-hook"),
        ("kaill nyangkut di jempol", "fish-hook"),
        ("ubur2", "jellyfish"),
        ("kena patil ikan sembilang", "venomous-fish"),
        ("ketusuk duri sawit pas panen tbs", "palm-thorn"),
        ("kena egrek tangan luka", "cut"),
        ("digigit ular di kebun", "snakebite"),
        ("ulat api di tangan gatal panas", "caterpillar"),
        ("kesetrum genset", "electric-shock"),
        ("keseleo", "sprain"),
        ("jellyfish sting", "jellyfish"),
        ("stung by a bee", "insect-sting"),
    ],
)
def test_finds_the_topic(knowledge: Knowledge, message: str, topic: str) -> None:
    assert knowledge.matcher.triage(message).topics[:1] == [topic]


@pytest.mark.parametrize(
    ("message", "sign"),
    [
        ("tmn sy ga sadar", "unconscious"),
        ("dia tidak bernafas", "not-breathing"),
        ("kena parang darah muncrat gk berhenti", "heavy-bleeding"),
        ("disengat tawon bibir bengkak", "face-swelling"),
        ("anak buah kapal kejang2", "seizure"),
        ("bapak sy sesak", "breathing-difficulty"),
        ("keminum gramoxone", "swallowed-poison"),
        ("dadanya nyeri dada kiri", "chest-pain"),
        ("he is not breathing", "not-breathing"),
    ],
)
def test_danger_signs_raise_the_emergency_flag(
    knowledge: Knowledge, message: str, sign: str
) -> None:
    triage = knowledge.matcher.triage(message)
    assert triage.emergency
    assert sign in triage.danger_signs


@pytest.mark.parametrize("message", ["tidak sesak", "ga ada sesak, cuma gatal", "masih sadar kok"])
def test_negated_danger_signs_do_not_count(knowledge: Knowledge, message: str) -> None:
    assert knowledge.matcher.triage(message).danger_signs == []


def test_always_emergency_topic_raises_the_flag_without_danger_words(knowledge: Knowledge) -> None:
    triage = knowledge.matcher.triage("digigit ular")
    assert triage.emergency
    assert triage.danger_signs == []


@pytest.mark.parametrize(
    "message", ["halo", "terima kasih", "kapan pertemuan pos ukk", "", "???", "mungkin", "Joko"]
)
def test_messages_about_nothing_match_nothing(knowledge: Knowledge, message: str) -> None:
    triage = knowledge.matcher.triage(message)
    assert triage.topics == []
    assert not triage.emergency


def test_at_most_five_topics_best_first(knowledge: Knowledge) -> None:
    triage = knowledge.matcher.triage("luka kena duri ikan di kapal bengkak merah bernanah demam")
    assert 1 <= len(triage.topics) <= 5
    assert triage.scores == sorted(triage.scores, reverse=True)
