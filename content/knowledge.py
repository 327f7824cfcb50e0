"""Everything the conversation needs from the content: the topics and the matcher built on them."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from content.classifier import NO_TOPIC, Example
from content.concepts import load_vocabulary
from content.loader import load_topics
from content.matcher import Matcher
from content.schema import Category, Localized, Topic

TRAINING_FILE = Path(__file__).parent / "training" / "messages.jsonl"


@dataclass(frozen=True)
class Knowledge:
    topics: Mapping[str, Topic]
    matcher: Matcher

    @classmethod
    def load(cls) -> Knowledge:
        topics = load_topics()
        return cls(topics, Matcher(topics, load_vocabulary(), load_examples()))

    def in_category(self, category: Category) -> list[Topic]:
        return sorted(
            (t for t in self.topics.values() if t.category is category), key=lambda t: t.title.id
        )

    def sign_label(self, concept_id: str) -> Localized:
        return self.matcher.finder.concepts[concept_id].label


def load_examples(path: Path = TRAINING_FILE) -> list[Example]:
    """Labelled messages the topic classifier learns from (`topic: null` for no topic)."""
    examples = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            raw = json.loads(line)
            if not isinstance(raw.get("text"), str):
                raise ValueError(f"{path.name}:{number}: a line needs a text")
            examples.append(Example(raw["text"], raw.get("topic") or NO_TOPIC))
    return examples


def pick(text: Localized, language: str) -> str:
    """The text in `language`, Indonesian when that language is missing."""
    return text.en if language == "en" else text.id
