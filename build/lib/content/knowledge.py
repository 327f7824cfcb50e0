"""Everything the conversation needs from the content: the topics and the matcher built on them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from content.loader import load_topics
from content.matcher import Matcher, load_danger_signs
from content.schema import Category, Localized, Topic


@dataclass(frozen=True)
class Knowledge:
    topics: Mapping[str, Topic]
    matcher: Matcher

    @classmethod
    def load(cls) -> Knowledge:
        topics = load_topics()
        return cls(topics, Matcher(topics, load_danger_signs()))

    def in_category(self, category: Category) -> list[Topic]:
        return sorted(
            (t for t in self.topics.values() if t.category is category), key=lambda t: t.title.id
        )

    def sign_label(self, sign_id: str) -> Localized:
        return next(s.label for s in self.matcher.danger_signs if s.id == sign_id)


def pick(text: Localized, language: str) -> str:
    """The text in `language`, Indonesian when that language is missing."""
    return text.en if language == "en" else text.id
