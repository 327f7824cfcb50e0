"""Topic files: every canonical id present, complete, sourced, and loudly refused when broken."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from bot.domain.incident_codes import TOPIC_CODES
from content.knowledge import Knowledge, pick
from content.loader import TOPICS_DIR, ContentError, load_topics
from content.schema import Sector

# The canonical ids of shared/TOPICS.md; `True` marks "always emergency".
CANONICAL: dict[str, bool] = {
    "cut": False, "severe-bleeding": True, "amputation": True, "puncture-wound": False,
    "palm-thorn": False, "fish-hook": False, "wound-infection": False, "tetanus": False,
    "burn": False, "electric-shock": True, "fracture": False, "sprain": False,
    "fall-from-height": True, "head-injury": False, "back-strain": False, "crush-injury": False,
    "eye-foreign-body": False, "eye-chemical": False, "pesticide-poisoning": True,
    "chemical-skin": False, "snakebite": True, "insect-sting": False, "caterpillar": False,
    "scorpion-centipede": False, "animal-bite": False, "leech": False, "jellyfish": False,
    "venomous-fish": False, "sea-urchin": False, "coral-cut": False, "drowning": True,
    "hypothermia": False, "heat-illness": False, "dehydration": False, "sunburn": False,
    "seasickness": False, "decompression-sickness": True, "fainting": False, "choking": False,
    "cpr": True, "anaphylaxis": True, "fever": False, "muscle-cramp": False, "chest-pain": True,
    "seizure": True,
}  # fmt: skip
# Topics beyond the canonical list, with their "always emergency" flag (the last two: issue 19).
EXTRA: dict[str, bool] = {
    "pufferfish-poisoning": True,
    "leptospirosis": False,
    "fuel-acid-swallowed": False,
    "carbon-monoxide": False,
}
# Divers Alert Network is the first-aid reference for diving injuries (not in IFRC 2020). The
# national health service and poison centre stand in where IFRC and WHO have no first-aid text
# (swallowed fuel and corrosives, carbon monoxide).
GUIDELINE_PUBLISHERS = (
    "IFRC",
    "WHO",
    "World Health",
    "Kemenkes",
    "Kementerian Kesehatan",
    "Divers Alert Network",
    "NHS",
    "National Poisons Centre",
)
CONTESTED = ("snakebite", "jellyfish", "venomous-fish")
# Hosts that only copy other publishers' documents, and staging servers: never a source.
MIRRORS = re.compile(
    r"vdocuments|docslib|scribd|123dok|iiab\.me|netlify\.app|\.stage\.|/copy/|documents\.pub"
)
# Tools and places of one trade: a step a reader of the other trade sees must not name them.
TRADE_WORDS = {
    Sector.PLANTATION: re.compile(r"\b(egrek|dodos|pelepah|tbs|brondolan|tandan|gancu)\b", re.I),
    Sector.FISHING: re.compile(r"\b(perahu|kapal|palka|gardan|jaring|pancing|di laut)\b", re.I),
}


def test_every_canonical_topic_exists_with_its_emergency_flag(knowledge: Knowledge) -> None:
    assert len(CANONICAL) == 45
    missing = set(CANONICAL) - set(knowledge.topics)
    assert missing == set()
    wrong = {
        t for t, emergency in CANONICAL.items() if knowledge.topics[t].always_emergency != emergency
    }
    assert wrong == set()


def test_the_topics_beyond_the_canonical_list_exist(knowledge: Knowledge) -> None:
    for topic_id, emergency in EXTRA.items():
        assert knowledge.topics[topic_id].always_emergency is emergency
    assert set(knowledge.topics) == set(CANONICAL) | set(EXTRA)


def test_every_topic_has_incident_codes(knowledge: Knowledge) -> None:
    """A report about any topic gets an ICLS injury type and a material agent."""
    assert set(TOPIC_CODES) == set(knowledge.topics)


def test_sources_are_the_publishers_own_pages(knowledge: Knowledge) -> None:
    copies = [
        (topic.id, source.url)
        for topic in knowledge.topics.values()
        for source in topic.sources
        if MIRRORS.search(source.url)
    ]
    assert copies == []


def test_every_reader_sees_steps_in_their_own_trade_words(knowledge: Knowledge) -> None:
    """A fisherman is not told to move away from egrek; a harvester is not sent to the boat."""
    wrong = []
    for topic in knowledge.topics.values():
        for reader in set(topic.sectors) & set(TRADE_WORDS):
            other = next(s for s in TRADE_WORDS if s is not reader)
            for step in topic.steps_for(reader):
                if TRADE_WORDS[other].search(step.id):
                    wrong.append((topic.id, reader.value, step.id))
    assert wrong == []


def test_every_topic_cites_a_guideline_publisher(knowledge: Knowledge) -> None:
    uncited = [
        topic.id
        for topic in knowledge.topics.values()
        if not any(p in source.title for source in topic.sources for p in GUIDELINE_PUBLISHERS)
    ]
    assert uncited == []


@pytest.mark.parametrize("topic_id", CONTESTED)
def test_contested_guidance_is_explained(knowledge: Knowledge, topic_id: str) -> None:
    """Where sources differ, the file says what the cited guideline recommends and why."""
    assert knowledge.topics[topic_id].guidance_notes


def test_needs_review_topics_say_what_to_check(knowledge: Knowledge) -> None:
    for topic in knowledge.topics.values():
        if topic.needs_review:
            assert len(topic.review_notes) > 20, topic.id


def test_short_titles_are_unique_within_a_category(knowledge: Knowledge) -> None:
    seen: dict[tuple[str, str], str] = {}
    for topic in knowledge.topics.values():
        key = (topic.category.value, topic.short_title.id.lower())
        assert key not in seen, f"{topic.id} and {seen[key]} share a button label"
        seen[key] = topic.id


@pytest.fixture
def topics_copy(tmp_path: Path) -> Path:
    target = tmp_path / "topics"
    shutil.copytree(TOPICS_DIR, target)
    return target


def edit(path: Path, change: dict[str, object]) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data.update(change)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"steps": []}, "steps"),
        ({"related": ["no-such-topic"]}, "unknown related"),
        ({"title": {"id": "Kena kail", "en": ""}}, "title.en"),
        ({"short_title": {"id": "Judul yang jauh terlalu panjang", "en": "Hook"}}, "short_title"),
        ({"always_emergency": True}, "urgency gawat"),
        ({"surprise": 1}, "surprise"),
        ({"steps": [{"id": "a", "en": "a", "sectors": ["sawit"]}] * 3}, "'nelayan' see fewer"),
        ({"steps": [{"id": "a", "en": "a", "sectors": ["laut"]}] * 2}, "steps.0.sectors"),
        ({"steps": [{"id": "a", "en": "a", "sectors": ["sawit", "sawit"]}] * 2}, "twice"),
    ],
)
def test_broken_files_fail_loudly_naming_the_file(
    topics_copy: Path, change: dict[str, object], message: str
) -> None:
    edit(topics_copy / "fish-hook.yaml", change)
    with pytest.raises(ContentError, match=message) as raised:
        load_topics(topics_copy)
    assert "fish-hook.yaml" in str(raised.value)


def test_a_missing_field_and_a_misnamed_file_are_refused(topics_copy: Path) -> None:
    data = yaml.safe_load((topics_copy / "cut.yaml").read_text(encoding="utf-8"))
    del data["sources"]
    (topics_copy / "cut.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(ContentError, match=r"(?s)cut\.yaml.*sources"):
        load_topics(topics_copy)
    shutil.copy(TOPICS_DIR / "cut.yaml", topics_copy / "cut.yaml")
    shutil.copy(TOPICS_DIR / "cut.yaml", topics_copy / "luka.yaml")
    with pytest.raises(ContentError, match=r"luka\.yaml"):
        load_topics(topics_copy)


def test_the_card_names_every_red_flag_its_rules_flag(knowledge: Knowledge) -> None:
    """The header and the card never disagree: a GAWAT rule or a red-flag question names
    something the card's own danger signs or referral text say, in either language."""
    finder = knowledge.matcher.finder
    unshown = []
    for topic in knowledge.topics.values():
        cards = [
            finder.find(
                " . ".join([*(pick(d, lang) for d in topic.danger_signs), pick(topic.refer, lang)])
            )
            for lang in ("id", "en")
        ]

        def shown(concept: str) -> bool:
            return any(card.has(concept) or concept in card.ruled_out for card in cards)  # noqa: B023

        flags = topic.red_flags
        groups = [list(rule) for rule in flags.gawat] + ([flags.ask.flags] if flags.ask else [])
        unshown += [
            (topic.id, group)
            for group in groups
            if not any(shown(c) for c in group if not c.startswith("!"))
        ]
    assert unshown == []


def test_gawat_rules_and_always_emergencies_send_people_to_emergency_care(
    knowledge: Knowledge,
) -> None:
    """A topic that can be GAWAT says in its referral text when to call 119 / 112 or go to the
    emergency department now."""
    now = {
        "id": ("119", "112", "IGD", "rumah sakit"),
        "en": ("119", "112", "emergency", "hospital"),
    }
    for topic in knowledge.topics.values():
        if topic.always_emergency or topic.red_flags.gawat:
            for lang, words in now.items():
                assert any(w in pick(topic.refer, lang) for w in words), (topic.id, lang)


def test_calm_rules_only_on_always_emergency_topics(knowledge: Knowledge) -> None:
    for topic in knowledge.topics.values():
        assert topic.always_emergency or not topic.red_flags.calm, topic.id


@pytest.mark.parametrize(
    "path",
    [
        *sorted(TOPICS_DIR.glob("*.yaml")),
        TOPICS_DIR.parent / "red_flags.yaml",
        TOPICS_DIR.parent / "lexicon.yaml",
    ],
    ids=lambda path: path.name,
)
def test_content_parses_without_libyaml(path: Path) -> None:
    """PyYAML without its C extension falls back to the pure-Python parser, which is stricter
    in flow sequences (a `?` there is an error): every content file must pass both."""
    assert yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
