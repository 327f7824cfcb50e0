"""Indonesian word roots: Sastrawi's stemmer first, then the informal affixes people type.

Sastrawi is the standard Indonesian stemmer (Enhanced Confix Stripping over a root list taken from
KBBI): it strips formal affixes only when what is left is a known root (`tertusuk` -> `tusuk`,
`kejatuhan` -> `jatuh`, `pendarahan` -> `darah`). Chat Indonesian, Banjar and Javanese add affixes
it does not know: the bare nasal (`nyengat`, `nusuk`, `ngiler`), `-in` (`dikeluarin`), Banjar `ta-`,
`ba-`, `ma-` (`tacucuk`, `manyemprot`) and Javanese `-e` / `-ne` (`sikile`). Those are stripped
here and, like Sastrawi's, accepted only when the result is a known root. A word that is neither
gets the old light rules, so a message and a keyword always meet in the same form.
"""

from __future__ import annotations

from collections.abc import Iterator

from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

_SASTRAWI = StemmerFactory().create_stemmer()
_ROOTS: frozenset[str] = frozenset(StemmerFactory().get_words())
MIN_ROOT = 3

_INFORMAL_SUFFIXES = ("nya", "in", "an", "kan", "ne", "e", "ku", "mu", "lah", "kah")
_NASAL_PREFIXES: tuple[tuple[str, tuple[str, ...]], ...] = (
    # what is typed at the start -> what the root may start with instead
    ("meny", ("s", "c")),
    ("meng", ("k", "")),
    ("mem", ("p", "b")),
    ("men", ("t", "")),
    ("many", ("s", "c")),  # Banjar manyemprot = menyemprot
    ("mang", ("k", "")),
    ("nge", ("",)),
    ("ny", ("s", "c")),
    ("ng", ("k", "")),
    ("n", ("t",)),
    ("m", ("p", "b")),
)
_PLAIN_PREFIXES = ("di", "ke", "ter", "ber", "ta", "ba", "ma", "ka", "pe", "se")
"""`ta-`, `ba-`, `ma-`, `ka-` are Banjar's ter-, ber-, me-, ke- (tagugur, bagarak, maangkat)."""

# The old light rules, for words no dictionary knows (egrek, brondolan, ketinting...).
_LIGHT_PREFIXES = ("meng", "mem", "men", "me", "ter", "ber", "per", "pen", "pem", "ke", "di")
_LIGHT_SUFFIXES = ("nya", "kan", "an")
MIN_STEM = 4
_VOWELS = frozenset("aeiou")


def root(word: str) -> str:
    """The root of one folded word: Sastrawi's, an informal one it confirms, or the light rules'."""
    formal = _SASTRAWI.stem(word) if word.isalpha() else word
    if formal and formal != word:
        return str(formal)
    if word in _ROOTS:
        return word
    for candidate in _informal_candidates(word):
        if candidate in _ROOTS:
            return candidate
    return _light_stem(word)


def informal_root(word: str) -> str | None:
    """A known root behind informal affixes only (`sikile` -> `sikil` needs the lexicon's roots)."""
    return next((c for c in _informal_candidates(word) if c in _ROOTS), None)


def _informal_candidates(word: str) -> Iterator[str]:
    """Roots the word could have, by informal prefixes and suffixes, most likely first."""
    bases = [word] + [
        word[: -len(suffix)]
        for suffix in _INFORMAL_SUFFIXES
        if word.endswith(suffix) and len(word) - len(suffix) >= MIN_ROOT
    ]
    for base in bases:
        if base != word:
            yield base
        for prefix, replacements in _NASAL_PREFIXES:
            rest = base.removeprefix(prefix)
            if rest != base and rest and rest[0] in _VOWELS:
                for start in replacements:
                    yield start + rest
        for prefix in _PLAIN_PREFIXES:
            rest = base.removeprefix(prefix)
            if rest != base and len(rest) >= MIN_ROOT:
                yield rest


def _light_stem(word: str) -> str:
    """Strip one suffix, then one prefix, keeping 4+ letters: consistent, if not linguistic."""
    for suffix in _LIGHT_SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= MIN_STEM:
            word = word[: -len(suffix)]
            break
    if word.startswith(("ny", "meny")):
        rest = word.removeprefix("me")[2:]
        return "s" + rest if len(rest) + 1 >= MIN_STEM else word
    for prefix in _LIGHT_PREFIXES:
        rest = word.removeprefix(prefix)
        if rest != word and len(rest) >= MIN_STEM and _plausible_root(rest):
            return rest
    return word


def _plausible_root(rest: str) -> bool:
    """A root starts with a vowel, or a consonant then a vowel or r/l: `kencing` is no ke+ncing."""
    return rest[0] in _VOWELS or rest[1] in _VOWELS or rest[1] in "rl"
