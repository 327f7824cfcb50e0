"""Phone numbers as people type them (0812-3456-789, +62 812 3456 789, 62812...), checked against
the numbering plans by the `phonenumbers` library: Indonesian numbers, and Malaysian ones (+60),
since East Kalimantan borders Malaysia and many workers carry a Malaysian SIM."""

from __future__ import annotations

import re

import phonenumbers

HOME_REGION = "ID"
ACCEPTED_REGIONS = frozenset({"ID", "MY"})
_COUNTRY_CODES = tuple(
    str(phonenumbers.country_code_for_region(region)) for region in sorted(ACCEPTED_REGIONS)
)
_SEPARATORS = re.compile(r"[\s\-.()/]")
_DIGITS = re.compile(r"^\+?\d{1,20}$")


def normalise_phone(text: str) -> str | None:
    """The number in international form (+62..., +60...), or None if it is no valid number of
    an accepted country. Without `+`, a number is Indonesian (0812...) unless it starts with an
    accepted country code (62812..., 6012...)."""
    raw = _SEPARATORS.sub("", text.strip())
    if not _DIGITS.match(raw):
        return None
    if raw.startswith(_COUNTRY_CODES):
        raw = "+" + raw
    try:
        number = phonenumbers.parse(raw, HOME_REGION)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    if phonenumbers.region_code_for_number(number) not in ACCEPTED_REGIONS:
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
