"""Typo tolerance: map an unknown word to the closest word the content knows."""

from __future__ import annotations

from collections.abc import Iterable


def damerau_levenshtein(a: str, b: str, limit: int) -> int:
    """Edit distance counting a swap of neighbours as one edit; stops early past `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        for j, char_b in enumerate(b, start=1):
            cost = 0 if char_a == char_b else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and char_a == b[j - 2] and a[i - 2] == char_b:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


def squeeze(word: str) -> str:
    """Doubled letters made single: `kaill` and `kail`, `sakiit` and `sakit` meet."""
    return "".join(char for n, char in enumerate(word) if n == 0 or word[n - 1] != char)


MIN_GUESSED = 3
"""A letter or two is never corrected: "T" in "Orang T" is no "TT" (the tetanus shot)."""


def allowed_edits(word: str) -> int:
    """Short words must match exactly: `ular`/`ulat` and `kapan`/`kapal` are different things."""
    if len(word) >= 9:
        return 2
    return 1 if len(word) >= 6 else 0


class Vocabulary:
    """The words the content knows, with a cache of corrections for the words it does not."""

    def __init__(self, words: Iterable[str], weight: dict[str, float]) -> None:
        self.words = frozenset(words)
        self._weight = weight
        self._by_squeezed = {squeeze(word): word for word in sorted(self.words, reverse=True)}
        # Symmetric deletes (as in SymSpell): two words within k edits share a form with at most
        # k letters deleted from each, so a word is compared only with the few that could match.
        self._by_deletion: dict[str, list[str]] = {}
        for word in sorted(self.words):
            for form in _deletions(word, allowed_edits(word)):
                self._by_deletion.setdefault(form, []).append(word)
        self._cache: dict[str, str] = {}

    def correct(self, word: str) -> str:
        """`word` itself if known or too short to guess; else the nearest known word, if near."""
        if word in self.words or word.isdigit() or len(word) < MIN_GUESSED:
            return word
        cached = self._cache.get(word)
        if cached is not None:
            return cached
        doubled = self._by_squeezed.get(squeeze(word))
        if doubled is not None:
            self._cache[word] = doubled
            return doubled
        limit = allowed_edits(word)
        best, best_key = word, (limit + 1, 0.0)
        candidates = {
            candidate
            for form in _deletions(word, limit)
            for candidate in self._by_deletion.get(form, ())
            if candidate[:1] == word[:1] and allowed_edits(candidate)
        }
        if limit:
            for candidate in sorted(candidates):
                distance = damerau_levenshtein(word, candidate, limit)
                key = (distance, -self._weight.get(candidate, 0.0))
                if distance <= limit and key < best_key:
                    best, best_key = candidate, key
        if len(self._cache) < 50_000:
            self._cache[word] = best
        return best


def _deletions(word: str, edits: int) -> set[str]:
    """`word` and every form of it with up to `edits` letters deleted."""
    forms = {word}
    for _ in range(edits):
        forms |= {form[:i] + form[i + 1 :] for form in forms for i in range(len(form))}
    return forms
