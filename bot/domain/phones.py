"""Indonesian phone numbers as people type them: 0812-3456-789, +62 812 3456 789, 62812..."""

from __future__ import annotations

import re

_SEPARATORS = re.compile(r"[\s\-.()/]")
_DIGITS = re.compile(r"^\+?\d+$")


def normalise_phone(text: str) -> str | None:
    """The number in international form (+62...), or None if it cannot be a phone number."""
    raw = _SEPARATORS.sub("", text.strip())
    if not _DIGITS.match(raw):
        return None
    digits = raw.lstrip("+")
    if digits.startswith("62"):
        national = digits[2:]
    elif digits.startswith("0"):
        national = digits[1:]
    else:
        return None
    if not 8 <= len(national) <= 12 or national.startswith("0"):
        return None
    return f"+62{national}"
