"""Turn a message as workers type it into comparable word tokens.

Handles case, accents, punctuation, reduplication (`ubur2`, `ubur-ubur`), stretched letters
(`sakiiit`), chat abbreviations (`sy`, `gk`, `tdk`), Banjar, Javanese and Bugis words (`kada`,
`sikile`), and Indonesian morphology (`ketusuk`, `tersengat`, `gigitan`, `nyengat`), so that
keywords and messages meet in the same form.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

from content.morphology import MIN_STEM, root
from content.yaml_file import safe_load

LEXICON_FILE = Path(__file__).parent / "lexicon.yaml"


def _load_lexicon() -> tuple[dict[str, str], frozenset[str], frozenset[str], dict[str, str]]:
    raw = safe_load(LEXICON_FILE.read_text(encoding="utf-8"))
    abbreviations = dict(raw["abbreviations"].items())
    roots = dict(raw["roots"].items())
    for mapping in (abbreviations, roots):
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in mapping.items()):
            raise ValueError(
                f"{LEXICON_FILE.name}: quote words YAML reads as other types (yes, no, 1)"
            )
    stopwords, context = frozenset(raw["stopwords"].split()), frozenset(raw["context"].split())
    return _resolved(abbreviations), stopwords, context, roots


def _resolved(mapping: dict[str, str]) -> dict[str, str]:
    """Chains followed once at load: `bernafas` -> `bernapas` -> `napas` becomes one step."""
    resolved = {}
    for word, target in mapping.items():
        seen = {word}
        while target in mapping and target not in seen:
            seen.add(target)
            target = mapping[target]
        resolved[word] = target
    return resolved


ABBREVIATIONS, STOPWORDS, CONTEXT_WORDS, ROOTS = _load_lexicon()
"""Chat abbreviations and regional words -> one form; words with no meaning for triage; words of
place and trade that support a topic but cannot make one alone; roots the stemmer gets wrong."""

NEGATIONS = frozenset({"tidak", "bukan", "belum", "tanpa", "no", "not", "without", "never", "nor"})
"""Words that negate what follows; the lexicon maps ga, gk, kada, ora, tena... to `tidak`."""
_POSSESSIVES = ("nya", "ne", "e", "ku", "mu")
"""A regional word with a possessive still maps: Javanese `sikile` is `sikil` (kaki) + `-e`."""
_REDUPLICATED_DIGIT = re.compile(r"\b([a-z]{2,})2([a-z]*)\b")
"""`ubur2`, and with a suffix after the 2: `jari2nya` is `jari jarinya`, `nyut2an` `nyut nyutan`."""
_REDUPLICATED_DASH = re.compile(r"\b([a-z]{2,})-\1\b")
_STRETCHED = re.compile(r"([a-z])\1{2,}")
_NON_WORD = re.compile(r"[^a-z0-9]+")
_APOSTROPHES = re.compile(r"['\u2019`]")


def fold(text: str) -> str:
    """Lower case; no accents or apostrophes; reduplication spelled out; letters unstretched."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    text = _APOSTROPHES.sub("", text)
    text = _REDUPLICATED_DIGIT.sub(r"\1 \1\2", text)
    text = _REDUPLICATED_DASH.sub(r"\1 \1", text)
    text = _STRETCHED.sub(r"\1", text)
    return _NON_WORD.sub(" ", text).strip()


_STEMS: dict[str, str] = {}
"""Roots already found (Sastrawi takes about 0.3 ms a word); `remember_stems` fills it from the
content cache, so a new process does not stem the content's words again."""
MAX_STEMS = 50_000


def stem(word: str) -> str:
    """The root of one folded word (see `content.morphology`), unless the lexicon says otherwise.

    Keywords and messages pass through the same code, and the surface word is always scored too,
    so a wrong root costs little.
    """
    known = _STEMS.get(word)
    if known is not None:
        return known
    found = word if word.isdigit() or len(word) <= MIN_STEM else ROOTS.get(word) or root(word)
    if len(_STEMS) < MAX_STEMS:
        _STEMS[word] = found
    return found


def known_stems() -> dict[str, str]:
    """Every word stemmed so far in this process, with its root."""
    return dict(_STEMS)


def remember_stems(stems: Mapping[str, str]) -> None:
    """Take roots found by an earlier process for the same content and code."""
    _STEMS.update(itertools.islice(stems.items(), max(0, MAX_STEMS - len(_STEMS))))


def words(text: str) -> list[str]:
    """Folded words with abbreviations expanded, stopwords kept (danger signs need negations)."""
    return list(_words(text))


@lru_cache(maxsize=4096)
def _words(text: str) -> tuple[str, ...]:
    """One message is read by several parts of the triage: normalise it once."""
    return tuple(w for word in fold(text).split() for w in _standard_form(word).split())


def _standard_form(word: str) -> str:
    known = ABBREVIATIONS.get(word)
    if known is not None:
        return known
    for possessive in _POSSESSIVES:
        base = word.removesuffix(possessive)
        if base != word and len(base) >= 3 and base in ABBREVIATIONS:
            return ABBREVIATIONS[base]
    return word


def content_words(text: str) -> list[str]:
    """The words that say something about the injury: `words` without stopwords."""
    return [word for word in words(text) if word not in STOPWORDS]


def terms(word: str) -> tuple[str, ...]:
    """What one word contributes to topic scoring: itself and, if different, its stem."""
    root = stem(word)
    return (word,) if root == word else (word, root)


def tokens(text: str) -> list[str]:
    """Stems of the content words, one per word, in order."""
    return [stem(word) for word in content_words(text)]


def danger_form(word: str) -> str:
    """Danger signs compare surface words, only dropping the possessive `-nya` (darahnya)."""
    return word[:-3] if word.endswith("nya") and len(word) >= 6 else word


def clear_caches() -> None:
    """Forget every word seen: the state of a fresh process (benchmarks time it cold)."""
    _STEMS.clear()
    _words.cache_clear()
