"""Turn a message as workers type it into comparable word tokens.

Handles case, accents, punctuation, reduplication (`ubur2`, `ubur-ubur`), stretched letters
(`sakiiit`), chat abbreviations (`sy`, `gk`, `tdk`) and the common Indonesian affixes
(`ketusuk`, `tersengat`, `gigitan`), so that keywords and messages meet in the same form.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

from content.yaml_file import safe_load

LEXICON_FILE = Path(__file__).parent / "lexicon.yaml"


def _load_lexicon() -> tuple[dict[str, str], frozenset[str], frozenset[str]]:
    raw = safe_load(LEXICON_FILE.read_text(encoding="utf-8"))
    abbreviations = dict(raw["abbreviations"].items())
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in abbreviations.items()):
        raise ValueError(f"{LEXICON_FILE.name}: quote words YAML reads as other types (yes, no, 1)")
    return abbreviations, frozenset(raw["stopwords"].split()), frozenset(raw["context"].split())


ABBREVIATIONS, STOPWORDS, CONTEXT_WORDS = _load_lexicon()
"""Chat abbreviations -> one form; words with no meaning for triage; words of place and trade
that support a topic but cannot make one alone."""

# Prefixes and suffixes stripped by the light stemmer. Not `se`, `be`, `ng`: too many roots
# start with them (sesak, bengkak, ngilu). The nasal `ny`/`meny` stands for an initial s.
_PREFIXES = ("meng", "mem", "men", "me", "ter", "ber", "per", "pen", "pem", "ke", "di")
_SUFFIXES = ("nya", "kan", "an")
MIN_STEM = 4
_REDUPLICATED_DIGIT = re.compile(r"\b([a-z]{2,})2\b")
_REDUPLICATED_DASH = re.compile(r"\b([a-z]{2,})-\1\b")
_STRETCHED = re.compile(r"([a-z])\1{2,}")
_NON_WORD = re.compile(r"[^a-z0-9]+")
_APOSTROPHES = re.compile(r"['\u2019`]")
_VOWELS = frozenset("aeiou")


def fold(text: str) -> str:
    """Lower case; no accents or apostrophes; reduplication spelled out; letters unstretched."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    text = _APOSTROPHES.sub("", text)
    text = _REDUPLICATED_DIGIT.sub(r"\1 \1", text)
    text = _REDUPLICATED_DASH.sub(r"\1 \1", text)
    text = _STRETCHED.sub(r"\1", text)
    return _NON_WORD.sub(" ", text).strip()


@lru_cache(maxsize=20_000)
def stem(word: str) -> str:
    """A light Indonesian stemmer: strip one suffix, then one prefix, keeping 4+ letters.

    Consistency matters more than linguistics (keywords and messages pass through the same
    code), and the surface word is always scored too, so a wrong stem costs little.
    """
    if word.isdigit() or len(word) <= MIN_STEM:
        return word
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= MIN_STEM:
            word = word[: -len(suffix)]
            break
    if word.startswith(("ny", "meny")):
        rest = word.removeprefix("me")[2:]
        return "s" + rest if len(rest) + 1 >= MIN_STEM else word
    for prefix in _PREFIXES:
        rest = word.removeprefix(prefix)
        if rest != word and len(rest) >= MIN_STEM and _plausible_root(rest):
            return rest
    return word


def _plausible_root(rest: str) -> bool:
    """A root starts with a vowel, or a consonant then a vowel or r/l: `kencing` is no ke+ncing."""
    return rest[0] in _VOWELS or rest[1] in _VOWELS or rest[1] in "rl"


def words(text: str) -> list[str]:
    """Folded words with abbreviations expanded, stopwords kept (danger signs need negations)."""
    expanded: list[str] = []
    for word in fold(text).split():
        expanded.extend(ABBREVIATIONS.get(word, word).split())
    return expanded


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
