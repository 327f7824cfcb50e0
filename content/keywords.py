"""Keyword evidence: which topics' own keywords a message uses, and how strongly.

Scoring is TF-IDF over normalised keyword stems, plus a bonus for the best multi-word keyword
phrase found whole. The topic classifier reads these scores as one of its features, and
`posukk match` shows the words that scored, so a topic's choice can be explained.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import pairwise

from content.fuzzy import Vocabulary
from content.normalise import CONTEXT_WORDS, NEGATIONS, content_words, stem, terms, words
from content.schema import Topic

MAX_TOPICS = 5
MIN_SCORE = 5.0
"""Below this the best topic is a guess and the bot says it did not understand. It is about the
weight of one word that only two or three topics use: a word every topic shares never suffices."""
RELATIVE_CUTOFF = 0.3
"""Runners-up scoring under this share of the best are not worth offering."""
PHRASE_BONUS = 0.6
IDF_POWER = 1.5
TITLE_WEIGHT = 1.5
"""A word the topic's title uses is central to it: `demam` is first of all about fever."""
LENGTH_WEIGHT = 0.25
"""How much a topic with a long keyword list is damped."""


@dataclass(frozen=True)
class _Phrase:
    """A multi-word keyword phrase of one topic, with what matching it needs worked out once."""

    topic_id: str
    stems: tuple[str, ...]
    stem_set: frozenset[str]
    weight: float


class KeywordIndex:
    """Built once from the loaded topics; `rank(text)` is then pure and fast."""

    def __init__(self, topics: Mapping[str, Topic]) -> None:
        self.topics = topics
        self._phrases: dict[str, list[tuple[str, ...]]] = {}
        self._terms: dict[str, set[str]] = {}
        self._title_terms: dict[str, set[str]] = {}
        surface: set[str] = set()
        for topic in topics.values():
            texts = [*topic.keywords, *topic.keywords_en, topic.title.id, topic.title.en]
            texts += [topic.short_title.id, topic.short_title.en]
            phrases: set[tuple[str, ...]] = set()
            topic_terms: set[str] = set()
            for text in texts:
                phrase_words = content_words(text)
                surface.update(phrase_words)
                if not phrase_words:
                    continue
                phrases.add(tuple(stem(w) for w in phrase_words))
                # A negated keyword ("tidak sadar") only counts as a whole phrase: its words
                # alone would pull "sudah sadar" towards the wrong topic.
                # Nor does a number ("demam 3 hari"): "Pekerja 3" is no fever.
                if not NEGATIONS.intersection(phrase_words):
                    topic_terms.update(t for w in phrase_words if not w.isdigit() for t in terms(w))
            self._phrases[topic.id] = sorted(phrases)
            self._terms[topic.id] = topic_terms
            titles = (topic.title.id, topic.title.en, topic.short_title.id, topic.short_title.en)
            self._title_terms[topic.id] = {
                t for title in titles for w in content_words(title) for t in terms(w)
            }
        phrase_stems = {s for phrases in self._phrases.values() for p in phrases for s in p}
        document_frequency = Counter(t for ts in self._terms.values() for t in ts)
        document_frequency.update(s for s in phrase_stems if s not in document_frequency)
        count = len(topics)
        # Sharper than plain IDF: one word only a single topic uses should outweigh two words
        # that many topics share ("kail" against "tembus" + "keluar").
        self._idf = {
            t: math.log(1 + count / df) ** IDF_POWER for t, df in document_frequency.items()
        }
        # Indexed by first stem: a message is checked only against the phrases it could complete.
        self._plain_phrases: dict[str, list[_Phrase]] = {}
        self._negated_phrases: dict[str, list[_Phrase]] = {}
        for topic_id, topic_phrases in self._phrases.items():
            for stems in topic_phrases:
                if len(stems) < 2:
                    continue
                negated = NEGATIONS.intersection(stems)
                index = self._negated_phrases if negated else self._plain_phrases
                weight = sum(self._idf[s] for s in stems)
                index.setdefault(stems[0], []).append(
                    _Phrase(topic_id, stems, frozenset(stems), weight)
                )
        sizes = [len(ts) for ts in self._terms.values()]
        average = sum(sizes) / max(1, len(sizes))
        # A topic with a long keyword list is damped, as in BM25: it matches more by chance.
        self._damping = {
            topic_id: 1 - LENGTH_WEIGHT + LENGTH_WEIGHT * len(ts) / average
            for topic_id, ts in self._terms.items()
        }
        # Inverted: each term's weight in every topic that uses it.
        self._postings: dict[str, dict[str, float]] = {}
        for topic_id, topic_terms in self._terms.items():
            for term in topic_terms:
                boost = TITLE_WEIGHT if term in self._title_terms[topic_id] else 1.0
                self._postings.setdefault(term, {})[topic_id] = self._idf[term] * boost
        self.vocabulary = Vocabulary(surface, self._idf)

    def rank(self, text: str) -> list[tuple[str, float]]:
        """Topics whose keywords the message uses, best first, with their scores."""
        content = [self.vocabulary.correct(w) for w in content_words(text)]
        return self._rank(content, _negated_words(words(text)))

    def evidence(self, text: str, topic_id: str) -> list[str]:
        """The message's words that count for a topic, as typed (after spelling correction)."""
        return [
            word
            for word in (self.vocabulary.correct(w) for w in content_words(text))
            if topic_id in self._weights(terms(word))
        ]

    def _rank(self, content: list[str], negated: set[str]) -> list[tuple[str, float]]:
        """Each word scores once per topic, by its best form; a whole keyword phrase adds a bonus.

        A negated word ("gk sesak") scores nothing alone; it still completes a negated phrase.
        """
        counted = [word for word in content if word not in negated]
        forms = [terms(word) for word in counted if word not in CONTEXT_WORDS]
        context = [terms(word) for word in counted if word in CONTEXT_WORDS]
        present = {t for word_forms in forms + context for t in word_forms}
        whole = self._whole_phrases(present, [stem(word) for word in content])
        cues: Counter[str] = Counter()
        for word_forms in forms:
            cues.update(self._weights(word_forms))
        scored = []
        for topic_id in cues.keys() | whole.keys():
            # Context words alone ("harga tbs", "nelayan") are not an injury: they only add.
            score = cues[topic_id] + PHRASE_BONUS * whole.get(topic_id, 0.0)
            score += sum(self._weights(word_forms).get(topic_id, 0.0) for word_forms in context)
            scored.append((topic_id, score / self._damping[topic_id]))
        scored.sort(key=lambda item: (-item[1], item[0]))
        if not scored or scored[0][1] < MIN_SCORE:
            return []
        cutoff = scored[0][1] * RELATIVE_CUTOFF
        return [(t, s) for t, s in scored[:MAX_TOPICS] if s >= cutoff]

    def _whole_phrases(self, present: set[str], sequence: list[str]) -> dict[str, float]:
        """Per topic, the weight of its heaviest multi-word phrase the message holds whole.

        Any order for plain phrases (`ular gigit` = `gigit ular`); in order when negated.
        """
        found = [
            phrase
            for first in present
            for phrase in self._plain_phrases.get(first, ())
            if phrase.stem_set <= present
        ]
        found += [
            phrase
            for first in set(sequence)
            for phrase in self._negated_phrases.get(first, ())
            if _in_order(sequence, phrase.stems)
        ]
        best: dict[str, float] = {}
        for phrase in found:
            best[phrase.topic_id] = max(best.get(phrase.topic_id, phrase.weight), phrase.weight)
        return best

    def _weights(self, word_forms: tuple[str, ...]) -> dict[str, float]:
        """A word's weight in each topic: its best form's, more if the topic's title uses it."""
        if len(word_forms) == 1:
            return self._postings.get(word_forms[0], {})
        best: dict[str, float] = {}
        for form in word_forms:
            for topic_id, weight in self._postings.get(form, {}).items():
                best[topic_id] = max(best.get(topic_id, 0.0), weight)
        return best


def _negated_words(sequence: list[str]) -> set[str]:
    """Words right after a negation: `sesak` in "gk sesak"."""
    return {word for before, word in pairwise(sequence) if before in NEGATIONS}


def _in_order(sequence: list[str], phrase: tuple[str, ...]) -> bool:
    """`phrase` in order, at most two other words between its words, never a negation."""
    for start, word in enumerate(sequence):
        if word != phrase[0]:
            continue
        position, matched = start, True
        for part in phrase[1:]:
            window = sequence[position + 1 : position + 4]
            if part not in window or NEGATIONS.intersection(window[: window.index(part)]):
                matched = False
                break
            position += 1 + window.index(part)
        if matched:
            return True
    return False
