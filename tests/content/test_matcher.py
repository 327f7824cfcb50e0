"""Triage: the way workers really type still finds the topic, and danger is never missed."""

from __future__ import annotations

import pytest

from content.knowledge import Knowledge
from content.normalise import fold, stem, tokens, words
from content.schema import Urgency


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
    ("typed", "root"),
    [
        ("tertusuk", "tusuk"),  # formal prefix (Sastrawi)
        ("kejatuhan", "timpa"),  # struck by something falling, not a fall (lexicon)
        ("nyengat", "sengat"),  # bare nasal of chat Indonesian
        ("nusuk", "tusuk"),
        ("dikeluarin", "keluar"),  # -in
        ("tagigit", "gigit"),  # Banjar ta- (ter-)
        ("manyemprot", "semprot"),  # Banjar many- (meny-)
        ("kesemutan", "kesemutan"),  # pins and needles, not an ant: the lexicon keeps it
    ],
)
def test_roots_of_formal_informal_and_regional_words(typed: str, root: str) -> None:
    assert stem(words(typed)[0]) == root


@pytest.mark.parametrize(
    ("typed", "standard"),
    [
        ("kada", ["tidak"]),  # Banjar
        ("batisnya", ["kaki"]),  # Banjar word with a possessive
        ("sikile", ["kaki"]),  # Javanese -e
        ("ora", ["tidak"]),
        ("bernafas", ["napas"]),  # chains of spellings followed to the end
    ],
)
def test_regional_words_meet_their_standard_form(typed: str, standard: list[str]) -> None:
    assert words(typed) == standard


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
        ("tmn sy ga sadar", "unresponsive"),
        ("dia tidak bernafas", "not-breathing"),
        ("kena parang darah muncrat gk berhenti", "heavy-bleeding"),
        ("disengat tawon bibir bengkak", "airway-swelling"),
        ("anak buah kapal kejang2", "seizure"),
        ("bapak sy sesak", "breathing-difficulty"),
        ("keminum gramoxone", "swallowed-poison"),
        ("dadanya nyeri dada kiri", "chest-pain"),
        ("he is not breathing", "not-breathing"),
        ("kawan kami pian ai, wayah ini sesak banar", "breathing-difficulty"),  # Banjar
        ("bapake ora iso mangap wes rong dino", "lockjaw"),  # Javanese
        ("pupilnya kecil bgt, ngiler terus", "pinpoint-pupils"),
    ],
)
def test_danger_signs_raise_the_emergency_flag(
    knowledge: Knowledge, message: str, sign: str
) -> None:
    triage = knowledge.matcher.triage(message)
    assert triage.emergency
    assert sign in triage.danger_signs


@pytest.mark.parametrize(
    ("message", "ruled_out"),
    [
        ("tidak sesak", "breathing-difficulty"),
        ("ga ada sesak, cuma gatal", "breathing-difficulty"),
        ("kada muntah, kada pingsan", "fainted"),  # a list: both are ruled out
        ("no vomiting or fainting", "fainted"),
        ("napas biasa", "breathing-difficulty"),  # said the other way round
        ("masih sadar kok", "unresponsive"),
    ],
)
def test_ruled_out_signs_do_not_count(knowledge: Knowledge, message: str, ruled_out: str) -> None:
    triage = knowledge.matcher.triage(message)
    assert triage.danger_signs == []
    assert ruled_out in triage.ruled_out


def test_a_sign_that_has_passed_is_no_danger_sign(knowledge: Knowledge) -> None:
    """Fainted but awake again: not unresponsive now; yet a head injury with it is GAWAT."""
    assert (
        knowledge.matcher.triage("tadi pingsan sebentar, sekarang sudah sadar").danger_signs == []
    )
    head = knowledge.matcher.triage("kepala kena janjang, tadi sempat ga sadar sebentar")
    assert head.topics[0] == "head-injury"
    assert head.emergency
    assert ("head-injury", ("unresponsive",)) in head.rules


def test_always_emergency_topic_raises_the_flag_without_danger_words(knowledge: Knowledge) -> None:
    triage = knowledge.matcher.triage("digigit ular")
    assert triage.emergency
    assert triage.danger_signs == []


@pytest.mark.parametrize(
    "message",
    [
        "tips manjat tiang kapal biar aman, perlu pake harness apa?",
        "APD yg wajib buat tukang semprot apa aja biar ga keracunan",
        "kalau ada jari putus, potongannya ditaruh di es atau gimana? buat materi pelatihan kader",
    ],
)
def test_questions_for_training_or_prevention_are_no_emergency(
    knowledge: Knowledge, message: str
) -> None:
    triage = knowledge.matcher.triage(message)
    assert triage.topics
    assert triage.general
    assert not triage.emergency
    assert triage.ask == []


def test_the_header_follows_the_card_for_a_choking_child(knowledge: Knowledge) -> None:
    """Choking is SEGERA on its own, but a child who is blue and silent is GAWAT."""
    triage = knowledge.matcher.triage("TOLONG ANAK KESEDAK KACANG MUKANYA BIRU GA ADA SUARA")
    assert triage.topics[0] == "choking"
    assert triage.urgency is Urgency.GAWAT
    assert {"cyanosis", "cannot-speak"} <= set(triage.danger_signs)


def test_one_question_when_the_message_leaves_the_red_flags_open(knowledge: Knowledge) -> None:
    open_question = knowledge.matcher.triage("kepala kebentur kayu bagan")
    assert open_question.ask == ["head-red-flags"]
    assert not open_question.emergency
    answered = knowledge.matcher.triage("kepala kebentur kayu bagan, ga pingsan ga muntah")
    assert answered.ask == []
    stated = knowledge.matcher.triage("kepala kebentur kayu bagan, skrg muntah2")
    assert stated.ask == []
    assert stated.emergency


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


def test_the_choice_is_explained(knowledge: Knowledge) -> None:
    explained = knowledge.matcher.explain("sy kena kail di jari, skrg muntah", "fish-hook")
    assert "kail" in explained.keywords
    assert explained.features
    head = knowledge.matcher.explain("kepala kebentur, skrg muntah", "head-injury")
    assert "head-injury: vomiting" in head.rules


def test_huge_and_strange_text_is_handled(knowledge: Knowledge) -> None:
    for text in ("a" * 5000, "🙏" * 300, "\x00\ud800 kail", "kail " * 800):
        triage = knowledge.matcher.triage(text)
        assert len(triage.topics) <= 5
