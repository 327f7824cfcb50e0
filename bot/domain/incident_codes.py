"""The code lists an incident report uses, and how a first-aid topic maps onto them.

Injury types follow the headings of the 1998 ICLS resolution on occupational injury statistics
(type of injury, most serious injury counts); body parts the 1962 ICLS list where its codes are
confirmed (see the research brief, part D). Labels live in the text catalogs under `incident.*`.
"""

from __future__ import annotations

from content.schema import Sector

BODY_PARTS = ("head", "eye", "hand", "arm", "trunk", "leg", "several")
ILO_BODY_CODE = {"head": "1", "eye": "12", "hand": "4", "arm": "4", "trunk": "3"}
"""Only the 1962 codes the research brief could confirm; others stay blank in exports."""

EMPLOYMENT = ("self_employed", "daily_labourer", "family_worker", "employee", "other")
OUTCOMES = ("on_site", "puskesmas", "hospital", "died")
STATUSES = ("open", "contacted", "treated", "referred", "closed")

ACTIVITIES = {
    Sector.FISHING: ("net", "line", "dive", "engine", "carry"),
    Sector.PLANTATION: ("harvest", "spray", "fertilise", "carry"),
    Sector.GENERAL: ("net", "line", "dive", "engine", "harvest", "spray", "fertilise", "carry"),
}
COMMUTE = "commute"
OTHER = "other"
OCCUPATION = {
    Sector.FISHING: "nelayan",
    Sector.PLANTATION: "pekerja sawit",
    Sector.GENERAL: "lainnya",
}

PLACES = {
    Sector.FISHING: ("boat", "dock", "home"),
    Sector.PLANTATION: ("field", "road", "collection"),
    Sector.GENERAL: ("boat", "dock", "field", "home"),
}

COMMON_TOPICS = {
    Sector.FISHING: ("cut", "fish-hook", "venomous-fish", "jellyfish", "burn", "fall-from-height"),
    Sector.PLANTATION: ("cut", "palm-thorn", "eye-foreign-body", "pesticide-poisoning",
                        "snakebite", "fall-from-height"),
    Sector.GENERAL: ("cut", "puncture-wound", "burn", "fall-from-height", "sprain",
                   "eye-foreign-body"),
}  # fmt: skip
"""The injuries offered as buttons first, per sector; anything else is typed."""

INJURY_TYPES = {
    "1.01": "superficial",
    "1.02": "open_wound",
    "2": "fracture",
    "3": "sprain",
    "4": "amputation",
    "5": "internal",
    "6": "burn",
    "7": "poisoning",
    "8": "other",
    "9": "unspecified",
}

TOPIC_CODES: dict[str, tuple[str, str]] = {
    # topic: (ICLS type of injury, material agent in the reporter's trade words)
    "amputation": ("4", "alat / mesin"),
    "anaphylaxis": ("8", "sengatan / makanan"),
    "animal-bite": ("1.02", "hewan"),
    "back-strain": ("3", "beban berat"),
    "burn": ("6", "api / mesin panas"),
    "carbon-monoxide": ("7", "asap mesin / genset"),
    "caterpillar": ("7", "ulat"),
    "chemical-skin": ("6", "bahan kimia"),
    "chest-pain": ("9", "-"),
    "choking": ("8", "-"),
    "coral-cut": ("1.02", "karang"),
    "cpr": ("9", "-"),
    "crush-injury": ("5", "benda berat"),
    "cut": ("1.02", "alat tajam"),
    "decompression-sickness": ("8", "menyelam kompresor"),
    "dehydration": ("8", "panas"),
    "drowning": ("8", "air"),
    "electric-shock": ("8", "listrik / petir"),
    "eye-chemical": ("6", "bahan kimia"),
    "eye-foreign-body": ("8", "serpihan / duri"),
    "fainting": ("9", "-"),
    "fall-from-height": ("9", "jatuh"),
    "fever": ("9", "-"),
    "fish-hook": ("1.02", "kail"),
    "fracture": ("2", "-"),
    "fuel-acid-swallowed": ("7", "bensin / solar / air aki"),
    "head-injury": ("5", "benturan"),
    "heat-illness": ("8", "panas"),
    "hypothermia": ("8", "dingin / air"),
    "insect-sting": ("7", "serangga"),
    "jellyfish": ("7", "ubur-ubur"),
    "leech": ("1.01", "lintah / pacet"),
    "leptospirosis": ("7", "air / tanah tercemar"),
    "muscle-cramp": ("3", "-"),
    "palm-thorn": ("1.02", "duri sawit"),
    "pesticide-poisoning": ("7", "pestisida"),
    "pufferfish-poisoning": ("7", "ikan buntal"),
    "puncture-wound": ("1.02", "benda tajam"),
    "scorpion-centipede": ("7", "kalajengking / lipan"),
    "sea-urchin": ("1.02", "bulu babi"),
    "seasickness": ("8", "laut"),
    "seizure": ("9", "-"),
    "severe-bleeding": ("1.02", "alat tajam"),
    "snakebite": ("7", "ular"),
    "sprain": ("3", "-"),
    "sunburn": ("6", "matahari"),
    "tetanus": ("7", "-"),
    "venomous-fish": ("7", "ikan berbisa"),
    "wound-infection": ("7", "-"),
}

WORSENING_TOPIC = "wound-infection"
"""Whose danger signs a follow-up asks about when a wound is getting worse."""
WOUND_TYPES = frozenset({"1.01", "1.02", "4", "6"})


def worsening_topic(topic_id: str | None) -> str:
    """The topic whose danger signs tell a worsening injury from a healing one."""
    if topic_id is None or TOPIC_CODES.get(topic_id, ("9", ""))[0] in WOUND_TYPES:
        return WORSENING_TOPIC
    return topic_id
