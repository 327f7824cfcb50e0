"""Match typed text to the choices offered: by number, label, words of one label, yes/no."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from content.fuzzy import damerau_levenshtein

YES_WORDS = frozenset(
    {"ya", "iya", "y", "yes", "ok", "oke", "okey", "setuju", "boleh", "benar", "betul"}
)
NO_WORDS = frozenset({"tidak", "tdk", "gak", "ga", "nggak", "enggak", "no", "n", "jangan", "bukan"})


def normalise(text: str) -> str:
    """Lower case, no accents or punctuation, single spaces: how typed answers are compared."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", " ", folded.lower()).strip()


def _close(typed: str, label: str) -> bool:
    """A typo of a label long enough not to be confused: "beer tahu kader" for "beri tahu kader"."""
    if len(label) < 6:
        return False
    return damerau_levenshtein(typed, label, 2) <= (1 if len(label) < 10 else 2)


def _words_within(typed: str, label: str) -> bool:
    """Whole words of one label: "kader" for "Kader saja", "dan jam" for "Hari dan jam"."""
    return len(typed) >= 3 and f" {typed} " in f" {label} "


def match_offered(text: str, offered: Sequence[dict[str, str]]) -> str | None:
    """The token of the offered choice that `text` names, or None."""
    typed = normalise(text)
    if not typed:
        return None
    if typed.isdigit():
        index = int(typed) - 1
        return offered[index]["token"] if 0 <= index < len(offered) else None
    for option in offered:
        if normalise(option["label"]) == typed:
            return option["token"]
    near = [o["token"] for o in offered if _close(typed, normalise(o["label"]))]
    if len(near) == 1:
        return near[0]
    within = [o["token"] for o in offered if _words_within(typed, normalise(o["label"]))]
    if len(within) == 1:
        return within[0]
    suffix = ":yes" if typed in YES_WORDS else ":no" if typed in NO_WORDS else None
    if suffix:
        matches = [option["token"] for option in offered if option["token"].endswith(suffix)]
        if len(matches) == 1:
            return matches[0]
    return None
