"""A group's status (aktif / kurang aktif / tidak aktif) and score for one month, by written rules.

The Ministry's Juknis Pembinaan dan Penilaian Pos UKK (2021) defines development levels whose exact
criteria we could not confirm, so every threshold and weight is a setting
(`POSUKK_STATUS_RULES`, JSON) that a district can change without touching code.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Self

from pydantic import BaseModel, Field, model_validator

if TYPE_CHECKING:
    from bot.indicators import MonthIndicators


class Status(StrEnum):
    ACTIVE = "aktif"
    LESS_ACTIVE = "kurang_aktif"
    INACTIVE = "tidak_aktif"


class StatusRules(BaseModel):
    active_min_held: int = Field(default=1, ge=0)
    """Aktif: at least this many activities held in the month..."""
    active_min_member_share: float = Field(default=0.5, ge=0, le=1)
    """...and at least this share of members active (60 days)."""
    inactive_below_member_share: float = Field(default=0.2, ge=0, le=1)
    """Tidak aktif: no activity held and fewer members active than this share. Otherwise kurang
    aktif."""
    weight_held: float = Field(default=30, ge=0)
    """Score points for holding what was planned (held / planned, at most 1; 1 if none planned
    but one was held)."""
    weight_attendance: float = Field(default=20, ge=0)
    weight_active_members: float = Field(default=30, ge=0)
    weight_follow_up: float = Field(default=20, ge=0)
    """Points for injuries followed up within 24 hours (full points in a month without injuries)."""
    slip_points: int = Field(default=15, ge=1, le=100)
    """A group slipped when its status went down or its score fell by at least this much."""

    @model_validator(mode="after")
    def _weights_make_a_hundred(self) -> Self:
        total = (
            self.weight_held
            + self.weight_attendance
            + self.weight_active_members
            + self.weight_follow_up
        )
        if abs(total - 100) > 1e-6:
            raise ValueError(f"the four weights must add up to 100, not {total:g}")
        return self


def status(month: MonthIndicators, rules: StatusRules) -> Status:
    share = month.active_share or 0.0
    if month.activities_held >= rules.active_min_held and share >= rules.active_min_member_share:
        return Status.ACTIVE
    if month.activities_held == 0 and share < rules.inactive_below_member_share:
        return Status.INACTIVE
    return Status.LESS_ACTIVE


def score(month: MonthIndicators, rules: StatusRules) -> int:
    """0 to 100, comparable month to month."""
    if month.activities_planned:
        held = min(1.0, month.activities_held / month.activities_planned)
    else:
        held = 1.0 if month.activities_held else 0.0
    follow_up = month.followed_up_share
    points = (
        rules.weight_held * held
        + rules.weight_attendance * (month.attendance_rate or 0.0)
        + rules.weight_active_members * (month.active_share or 0.0)
        + rules.weight_follow_up * (1.0 if follow_up is None else follow_up)
    )
    return round(points)


_RANK = {Status.INACTIVE: 0, Status.LESS_ACTIVE: 1, Status.ACTIVE: 2}


def slipped(before: MonthIndicators, after: MonthIndicators, rules: StatusRules) -> bool:
    """Whether a group did worse in `after` than in `before`: a lower status, or a score at
    least `slip_points` lower."""
    return (
        _RANK[status(after, rules)] < _RANK[status(before, rules)]
        or score(before, rules) - score(after, rules) >= rules.slip_points
    )
