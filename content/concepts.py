"""Red flags as clinical concepts: which ones a message states, and which it rules out.

The vocabulary lives in `red_flags.yaml` (see its header for the phrase syntax). Phrases are
expanded once into word sequences and kept in a trie keyed by word roots, so a message is read
once, left to right, whatever the size of the vocabulary.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from itertools import product
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from content.normalise import NEGATIONS, stem, words
from content.schema import Localized
from content.yaml_file import safe_load

RED_FLAGS_FILE = Path(__file__).parent / "red_flags.yaml"
EXACT = "="
NARROW_GAP = 2
WIDE_GAP = 6
GAPS = (0, NARROW_GAP, WIDE_GAP)
ADJACENT = "^"
"""A phrase item written `^item` must follow the one before it directly."""
_FILLERS = frozenset(
    {"ada", "terlalu", "begitu", "merasa", "terasa", "pernah", "sampai", "sempat", "kena", "ikut",
     "lagi", "juga", "pula", "ya", "kok", "sih", "mengalami", "tanda", "gejala", "any", "signs",
     "yang", "bekas", "ji", "mi", "ki", "pi", "ka"}
)  # fmt: skip
"""Words that may stand between a negation and what it negates: "ga ada sesak", "no signs of"."""
_LIST_JOINERS = frozenset({"atau", "or", "nor", "maupun", "ataupun"})
"""A negation carries over a list: "tidak muntah atau pingsan", "no vomiting or fainting"."""
_CLAUSE_BREAK_WORDS = frozenset(
    {"tapi", "tetapi", "tp", "namun", "but", "padahal", "sedangkan", "however", "although"}
)
_SENTENCE_END = re.compile(r"[.;!?\n]+")
_CLAUSE_PUNCTUATION = re.compile(r"[,:()/]+")
"""Sentences bound a phrase ("darah banyak, tapi sudah berhenti" is one thought); clauses within
them (commas, "tapi") bound a negation: "ga sesak, muntah2" rules out only the first."""


class Role(StrEnum):
    SIGN = "sign"
    """Something wrong with someone: a symptom, an injury, what happened."""
    QUALIFIER = "qualifier"
    """Where, how much, how it is now ("perut", "luas", "sudah sadar"): shapes the rules only."""
    MESSAGE = "message"
    """What kind of message it is: a question for training, a greeting, something happening now."""


class Concept(BaseModel):
    """One red flag (or one kind of message) and the ways people say it."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    id: str
    label: Localized
    danger_sign: bool = Field(default=False, alias="global")
    phrases: list[str] = Field(min_length=1)
    exceptions: list[str] = Field(default_factory=list, alias="except")
    cancelled_by: list[list[str]] = Field(default_factory=list)
    suggests: list[str] = Field(default_factory=list)
    rules_out: list[str] = Field(default_factory=list)
    """Concepts this one rules out when stated: "napas biasa" rules out difficulty breathing."""
    role: Role = Role.SIGN


class Vocabulary(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    classes: dict[str, list[str]]
    concepts: list[Concept]
    danger_combinations: list[list[str]] = Field(default_factory=list)
    """Concepts that together are a danger sign in any topic (spreading redness with fever)."""


def load_vocabulary(path: Path = RED_FLAGS_FILE) -> Vocabulary:
    vocabulary = Vocabulary.model_validate(safe_load(path.read_text(encoding="utf-8")))
    ids = {c.id for c in vocabulary.concepts}
    unknown_in_combinations = {c for combo in vocabulary.danger_combinations for c in combo} - ids
    if unknown_in_combinations:
        raise ValueError(f"{path.name}: danger_combinations name {sorted(unknown_in_combinations)}")
    for concept in vocabulary.concepts:
        named = {c for combo in concept.cancelled_by for c in combo} | set(concept.rules_out)
        unknown = named - ids
        if unknown:
            raise ValueError(f"{path.name}: {concept.id} names unknown concepts {sorted(unknown)}")
    return vocabulary


@dataclass(frozen=True)
class Findings:
    """What a message says: concepts stated (with the words that showed them) and ruled out."""

    present: Mapping[str, str]
    ruled_out: frozenset[str]

    def has(self, concept_id: str) -> bool:
        return concept_id in self.present

    def holds(self, combination: Iterable[str]) -> bool:
        """All of a combination: `x` present, `!x` ruled out."""
        return all(
            c[1:] in self.ruled_out if c.startswith("!") else c in self.present for c in combination
        )


@dataclass(frozen=True)
class _Token:
    word: str
    sentence: int
    clause: int
    keys: tuple[str, ...]
    """How phrase words may meet this word: by its root, or typed exactly (`=word`)."""


@dataclass
class _Node:
    children: dict[tuple[str, int], _Node] = field(default_factory=dict)
    ends: list[tuple[str, bool]] = field(default_factory=list)
    """(concept id, whether it is an exception phrase) for phrases ending here."""


@dataclass(frozen=True)
class _Match:
    concept: str
    start: int
    end: int
    exception: bool


class ConceptFinder:
    """Built once from the vocabulary; `find(text)` is then pure and fast."""

    def __init__(self, vocabulary: Vocabulary) -> None:
        self.concepts = {c.id: c for c in vocabulary.concepts}
        self.danger_combinations = [tuple(combo) for combo in vocabulary.danger_combinations]
        self._classes = vocabulary.classes
        self._root = _Node()
        self._rules_out = {c.id: frozenset(c.rules_out) for c in vocabulary.concepts}
        for concept in vocabulary.concepts:
            for phrase in concept.phrases:
                self._add(phrase, concept.id, exception=False)
            for phrase in concept.exceptions:
                self._add(phrase, concept.id, exception=True)

    def find(self, text: str) -> Findings:
        tokens = tokenize(text)
        matches = [m for start in range(len(tokens)) for m in self._matches_at(tokens, start)]
        exceptions = [m for m in matches if m.exception]
        kept = sorted(
            (m for m in matches if not m.exception and not _overlaps_any(m, exceptions)),
            key=lambda m: (m.start, m.end),
        )
        present: dict[str, str] = {}
        negated: set[str] = set()
        previous: _Match | None = None
        previous_negated = False
        for match in kept:
            is_negated = _negated(tokens, match.start) or (
                previous_negated and previous is not None and _listed_after(tokens, previous, match)
            )
            if is_negated:
                negated.add(match.concept)
            elif match.concept not in present:
                present[match.concept] = " ".join(
                    t.word for t in tokens[match.start : match.end + 1]
                )
            previous, previous_negated = match, is_negated
        negated.update(c for concept in present for c in self._rules_out[concept])
        return Findings(present, frozenset(negated - present.keys()))

    def danger_signs(self, findings: Findings) -> list[str]:
        """The danger signs a message states that nothing else in it cancels, in file order."""
        return [
            concept.id
            for concept in self.concepts.values()
            if concept.danger_sign
            and findings.has(concept.id)
            and not any(findings.holds(combo) for combo in concept.cancelled_by)
        ]

    def dangerous_combinations(self, findings: Findings) -> list[tuple[str, ...]]:
        """The combinations of concepts that are danger signs together, as the message has them."""
        return [combo for combo in self.danger_combinations if findings.holds(combo)]

    def _add(self, phrase: str, concept_id: str, *, exception: bool) -> None:
        for sequence in self._expand(phrase):
            node = self._root
            for index, (word, gap) in enumerate(sequence):
                key = (_key(word), gap if index > 0 else NARROW_GAP)
                node = node.children.setdefault(key, _Node())
            node.ends.append((concept_id, exception))

    def _expand(self, phrase: str) -> list[list[tuple[str, int]]]:
        """Every word sequence a phrase stands for, each word with the gap allowed before it.

        A word written `=word` keeps its `=`: it must be typed as it is, not just share its root.
        """
        items: list[list[list[str]]] = []
        gap_next = NARROW_GAP
        gap_before: list[int] = []
        for item in _split_items(phrase):
            if item == "...":
                gap_next = WIDE_GAP
                continue
            if item.startswith(ADJACENT):
                gap_next, item = 0, item.removeprefix(ADJACENT)
            optional = item.endswith("?")
            body = item.removesuffix("?")
            if body.startswith("(") and body.endswith(")"):
                alternatives = [
                    alt
                    for part in _split_alternatives(body[1:-1])
                    for alt in self._expand_words(part)
                ]
            elif body.startswith("$"):
                alternatives = [
                    alt for member in self._class(body[1:]) for alt in self._expand_words(member)
                ]
            else:
                alternatives = [_literal(body)]
            if optional:
                alternatives.append([])
            items.append(alternatives)
            gap_before.append(gap_next)
            gap_next = NARROW_GAP
        sequences = []
        for choice in product(*items):
            sequence: list[tuple[str, int]] = []
            for words_of_item, gap in zip(choice, gap_before, strict=True):
                # The words of one alternative ("kelopak mata") stay together.
                sequence += [(w, gap if n == 0 else 0) for n, w in enumerate(words_of_item)]
            if sequence:
                sequences.append(sequence)
        return sequences

    def _expand_words(self, part: str) -> list[list[str]]:
        """An alternative inside parentheses: plain words, or a phrase with classes of its own."""
        if "$" in part or "(" in part:
            return [[w for w, _ in seq] for seq in self._expand(part)]
        return [[w for item in part.split() for w in _literal(item)]]

    def _class(self, name: str) -> list[str]:
        if name not in self._classes:
            raise ValueError(f"red_flags.yaml: unknown class ${name}")
        return self._classes[name]

    def _matches_at(self, tokens: Sequence[_Token], start: int) -> Iterator[_Match]:
        for key in tokens[start].keys:
            node = self._root.children.get((key, NARROW_GAP))
            if node is not None:
                yield from self._walk(tokens, start, start, node)

    def _walk(self, tokens: Sequence[_Token], start: int, at: int, node: _Node) -> Iterator[_Match]:
        for concept_id, exception in node.ends:
            yield _Match(concept_id, start, at, exception)
        for gap in GAPS:
            for position in range(at + 1, min(at + 2 + gap, len(tokens))):
                token = tokens[position]
                if token.sentence != tokens[start].sentence:
                    break
                for key in token.keys:
                    child = node.children.get((key, gap))
                    if child is not None:
                        yield from self._walk(tokens, start, position, child)
                if token.word in NEGATIONS:
                    break  # a gap never holds a negation: "darah tidak ... berhenti"


def tokenize(text: str) -> list[_Token]:
    """The message's words with their roots, and the sentence and clause each belongs to."""
    tokens: list[_Token] = []
    clause = 0
    for sentence, part in enumerate(_SENTENCE_END.split(text)):
        for piece in _CLAUSE_PUNCTUATION.split(part):
            for word in words(piece):
                if word in _CLAUSE_BREAK_WORDS:
                    clause += 1
                    continue
                tokens.append(_Token(word, sentence, clause, (stem(word), EXACT + word)))
            clause += 1
    return tokens


def _literal(item: str) -> list[str]:
    """A written word in the form messages take; `=word` stays exact."""
    if item.startswith(EXACT):
        return [EXACT + word for word in words(item[1:])]
    return words(item)


def _key(word: str) -> str:
    return word if word.startswith(EXACT) else stem(word)


def _split_items(phrase: str) -> list[str]:
    """Top-level items of a phrase: words, `$class`, `(alternatives)`, `...`."""
    items, depth, current = [], 0, ""
    for char in phrase:
        if char == " " and depth == 0:
            if current:
                items.append(current)
            current = ""
            continue
        depth += (char == "(") - (char == ")")
        current += char
    if current:
        items.append(current)
    return items


def _split_alternatives(body: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for char in body:
        if char == "|" and depth == 0:
            parts.append(current.strip())
            current = ""
            continue
        depth += (char == "(") - (char == ")")
        current += char
    parts.append(current.strip())
    return parts


def _overlaps_any(match: _Match, exceptions: Sequence[_Match]) -> bool:
    return any(
        e.concept == match.concept and e.start <= match.end and match.start <= e.end
        for e in exceptions
    )


def _negated(tokens: Sequence[_Token], start: int) -> bool:
    """A negation right before `start`, in its clause, with at most two fillers between."""
    if tokens[start].word in NEGATIONS:
        return False  # the phrase is itself a negation: "tidak sadar"
    clause = tokens[start].clause
    for fillers, token in enumerate(reversed(tokens[max(0, start - 3) : start])):
        if token.clause != clause:
            return False
        if token.word in NEGATIONS:
            return True
        if token.word not in _FILLERS or fillers == 2:
            return False
    return False


def _listed_after(tokens: Sequence[_Token], previous: _Match, match: _Match) -> bool:
    """Whether `match` follows `previous` in the same clause across only a list joiner."""
    between = tokens[previous.end + 1 : match.start]
    return (
        tokens[previous.end].clause == tokens[match.start].clause
        and bool(between)
        and all(t.word in _LIST_JOINERS for t in between)
    )
