"""What a person's own words already say about an incident: the body part, the work being done,
the place, and the trade ("tangan tertusuk duri sawit waktu panen": hand, harvest, oil palm).

Words are compared by their roots (`content.normalise`), so "memanen", "panen" and "dipanen" are
one. A phrase is a tuple of words, each matching a word as typed or its root; longer phrases are
read first, so "jari kaki" is a foot and "mata kail" no eye.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from content.normalise import stem, words
from content.schema import Sector

Phrase = tuple[str, ...]

NOT_A_BODY_PART: tuple[Phrase, ...] = (
    ("mata", "kail"), ("mata", "pancing"), ("mata", "pisau"), ("mata", "parang"),
    ("mata", "dodos"), ("mata", "egrek"), ("mata", "angin"), ("kepala", "desa"),
    ("kepala", "kebun"),
)  # fmt: skip
"""Phrases whose words name a body part without meaning one."""

BODY: Mapping[str, tuple[Phrase, ...]] = {
    "leg": (
        ("jari", "kaki"), ("telapak", "kaki"), ("mata", "kaki"), ("kaki",), ("betis",),
        ("paha",), ("lutut",), ("tumit",), ("pergelangan", "kaki"),
    ),
    "hand": (
        ("jari",), ("jempol",), ("telapak", "tangan"), ("tangan",), ("kuku",),
        ("pergelangan", "tangan"),
    ),
    "arm": (("lengan",), ("siku",), ("bahu",), ("pundak",)),
    "eye": (("mata",),),
    "head": (("kepala",), ("muka",), ("wajah",), ("dahi",), ("pelipis",), ("leher",)),
    "trunk": (("dada",), ("perut",), ("punggung",), ("pinggang",), ("rusuk",)),
}  # fmt: skip

ACTIVITY: Mapping[str, tuple[Phrase, ...]] = {
    "harvest": (("panen",), ("dodos",), ("egrek",), ("brondol",), ("brondolan",)),
    "spray": (("semprot",), ("herbisida",)),
    "fertilise": (("pupuk",),),
    "carry": (("angkat",), ("angkut",), ("pikul",), ("langsir",)),
    "net": (("jaring",), ("pukat",)),
    "line": (("pancing",), ("rawai",), ("mancing",)),
    "dive": (("selam",),),
    "engine": (("mesin",),),
    "commute": (("berangkat", "kerja"), ("pulang", "kerja"), ("naik", "motor"), ("perjalanan",)),
}  # fmt: skip

PLACE: Mapping[str, tuple[Phrase, ...]] = {
    "boat": (("perahu",), ("kapal",), ("sampan",), ("laut",), ("ketinting",)),
    "dock": (("dermaga",), ("pelabuhan",), ("tpi",)),
    "home": (("rumah",),),
    "field": (("kebun",), ("blok",), ("ladang",), ("afdeling",), ("lahan",)),
    "road": (("di", "jalan"), ("jalan", "kebun"), ("jalan", "raya")),
    "collection": (("tph",), ("tempat", "pengumpulan")),
}  # fmt: skip

SECTOR_WORDS: Mapping[Sector, tuple[Phrase, ...]] = {
    Sector.PLANTATION: (("sawit",), ("tandan",), ("tbs",), ("kelapa", "sawit")),
    Sector.FISHING: (("nelayan",), ("ikan",), ("kail",), ("ubur",)),
}
"""Words that name a trade besides its work and places."""

_SECTOR_OF = {
    **{code: Sector.PLANTATION for code in ("harvest", "spray", "fertilise")},
    **{code: Sector.FISHING for code in ("net", "line", "dive", "engine")},
    **{code: Sector.FISHING for code in ("boat", "dock")},
    **{code: Sector.PLANTATION for code in ("field", "collection")},
}
"""The trade a work or a place belongs to; carrying, the road and home belong to every trade."""


@dataclass(frozen=True)
class IncidentWords:
    """Codes of `bot.domain.incident_codes` the words name, None where they name none or
    several."""

    body: str | None = None
    activity: str | None = None
    place: str | None = None
    sector: Sector | None = None
    """The one trade the words point to (its work, places or own words), if only one."""


def _found(
    said: list[tuple[str, str]], table: Mapping[str, tuple[Phrase, ...]]
) -> tuple[set[str], list[tuple[str, str]]]:
    """The codes whose phrases occur, longest phrases first; the words left unread."""
    phrases = sorted(
        ((phrase, code) for code, listed in table.items() for phrase in listed),
        key=lambda item: -len(item[0]),
    )
    left = list(said)
    codes: set[str] = set()
    for phrase, code in phrases:
        at = _find(left, phrase)
        while at is not None:
            codes.add(code)
            left[at : at + len(phrase)] = [("", "")]
            at = _find(left, phrase)
    return codes, left


def _find(said: list[tuple[str, str]], phrase: Phrase) -> int | None:
    for start in range(len(said) - len(phrase) + 1):
        window = said[start : start + len(phrase)]
        if all(word in pair for word, pair in zip(phrase, window, strict=True)):
            return start
    return None


def _one(codes: set[str]) -> str | None:
    return next(iter(codes)) if len(codes) == 1 else None


def read_incident_words(text: str) -> IncidentWords:
    """The body part (two or more: "several"), the work and the place the words name."""
    said = [(word, stem(word)) for word in words(text)]
    named, _ = _found(said, {str(sector): listed for sector, listed in SECTOR_WORDS.items()})
    _, parts = _found(said, {"none": NOT_A_BODY_PART})
    body, _ = _found(parts, BODY)
    activities, _ = _found(said, ACTIVITY)
    places, _ = _found(said, PLACE)
    activity, place = _one(activities), _one(places)
    sectors = {_SECTOR_OF[code] for code in activities | places if code in _SECTOR_OF}
    sectors |= {Sector(value) for value in named}
    return IncidentWords(
        body="several" if len(body) > 1 else _one(body),
        activity=activity,
        place=place,
        sector=next(iter(sectors)) if len(sectors) == 1 else None,
    )
