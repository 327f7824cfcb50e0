"""The shape of one first-aid topic file, strict so that an author's slip fails loudly."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

TOPIC_ID_PATTERN = r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$"

NonEmpty = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Keyword = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=60)]


class Urgency(StrEnum):
    """The three levels every answer carries, in the words workers learn to recognise."""

    GAWAT = "gawat"  # call 119 / 112 now
    SEGERA = "segera"  # to the Puskesmas or hospital today
    RAWAT = "rawat"  # treat in the group and watch the danger signs


class Category(StrEnum):
    """Browse-menu categories for people who do not type."""

    WOUNDS = "luka"  # Luka & perdarahan
    SEA = "laut"  # Laut
    PLANTATION_ANIMALS = "kebun"  # Kebun & hewan
    CHEMICALS = "kimia"  # Bahan kimia
    HEAT_COLD = "suhu"  # Panas / dingin
    EMERGENCY = "darurat"  # Darurat


class Sector(StrEnum):
    """A trade: of a Pos UKK group, of a reader, of a step's wording. `umum` (general) is a group
    of another trade, and a reader with no group. The one sector enum of the project."""

    FISHING = "nelayan"
    PLANTATION = "sawit"
    GENERAL = "umum"


class Localized(BaseModel):
    """One text in Indonesian (shown first) and English."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: NonEmpty
    en: NonEmpty


class ShortLocalized(Localized):
    """A label short enough for a WhatsApp reply button (20 characters)."""

    id: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20)]
    en: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20)]


class TopicStep(Localized):
    """One first-aid step. With `sectors`, only readers of those trades see it (a fisherman is
    not told to move away from egrek and fruit bunches); without it, everyone does. A step that
    names one trade's tools or places comes as variants side by side: one per trade, and one in
    general words for `umum` (readers with no group, or a group of another trade)."""

    sectors: list[Sector] = Field(default_factory=list)

    @model_validator(mode="after")
    def _sectors_listed_once(self) -> TopicStep:
        if len(set(self.sectors)) != len(self.sectors):
            raise ValueError(f"a step lists a sector twice: {[s.value for s in self.sectors]}")
        return self

    def shown_to(self, sector: Sector) -> bool:
        return not self.sectors or sector in self.sectors


class Source(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    title: NonEmpty
    url: Annotated[str, StringConstraints(pattern=r"^https?://\S+$")]


ConceptId = Annotated[str, StringConstraints(pattern=r"^!?[a-z][a-z0-9]*(-[a-z0-9]+)*$")]
"""A red-flag concept of `red_flags.yaml`; `!id` in a rule means the message rules it out."""


class YesNo(StrEnum):
    YES = "yes"
    NO = "no"


class RedFlagQuestion(BaseModel):
    """The one yes/no question asked before the first step when the message leaves it open."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Annotated[str, StringConstraints(pattern=TOPIC_ID_PATTERN)]
    text: Localized
    flags: list[ConceptId] = Field(min_length=1)
    """The red flags the question names: one of them ruled out in the message makes it moot."""
    gawat_if: YesNo = YesNo.YES
    """Which answer means an emergency: "no" for "Masih bisa batuk atau bicara?"."""
    when: list[ConceptId] = Field(default_factory=list)
    """Concepts that must be in the message for the question to make sense (a fainting question
    needs someone who fainted)."""
    unless: list[ConceptId] = Field(default_factory=list)
    """More concepts that make the question moot, beside "no other complaints", "minor" and
    "recovered"."""


class RedFlags(BaseModel):
    """When this topic is GAWAT or SEGERA, computed from the concepts a message states.

    Each rule is a list of concepts that must all hold. Danger signs of any topic (the `global`
    concepts) make every topic GAWAT; these rules add the topic's own.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    gawat: list[list[ConceptId]] = Field(default_factory=list)
    segera: list[list[ConceptId]] = Field(default_factory=list)
    calm: list[list[ConceptId]] = Field(default_factory=list)
    """For always-emergency topics: what means nothing is dangerous now ("known epilepsy, awake
    and talking again"). Danger signs still make it GAWAT."""
    ask: RedFlagQuestion | None = None


class Topic(BaseModel):
    """One first-aid topic: what to do, what never to do, when to refer, and where it comes from."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Annotated[str, StringConstraints(pattern=TOPIC_ID_PATTERN)]
    title: Localized
    short_title: ShortLocalized
    category: Category
    sectors: list[Sector] = Field(min_length=1)
    always_emergency: bool
    urgency: Urgency
    at_sea: bool = False
    summary: Localized
    steps: list[TopicStep] = Field(min_length=2)
    jangan: list[Localized] = Field(min_length=1)
    danger_signs: list[Localized] = Field(min_length=1)
    refer: Localized
    prevention: list[Localized] = Field(min_length=1)
    guidance_notes: list[Localized] = Field(default_factory=list)
    keywords: list[Keyword] = Field(min_length=5)
    keywords_en: list[Keyword] = Field(min_length=2)
    related: list[Annotated[str, StringConstraints(pattern=TOPIC_ID_PATTERN)]] = Field(
        default_factory=list
    )
    sources: list[Source] = Field(min_length=1)
    needs_review: bool
    review_notes: str = ""
    reviewed: dt.date
    red_flags: RedFlags = Field(default_factory=RedFlags)
    requires: list[ConceptId] = Field(default_factory=list)
    """Concepts of which a message must state one for this topic to fit: an eye topic needs an
    eye. Without one the topic is set far back, whatever else the words resemble."""

    @model_validator(mode="after")
    def _every_reader_gets_steps(self) -> Topic:
        for sector in Sector:
            if len(self.steps_for(sector)) < 2:
                raise ValueError(f"steps: readers of sector {sector.value!r} see fewer than 2")
        return self

    def steps_for(self, sector: Sector) -> list[TopicStep]:
        """The steps a reader of `sector` sees, in order (`umum` for no group or another trade)."""
        return [step for step in self.steps if step.shown_to(sector)]
