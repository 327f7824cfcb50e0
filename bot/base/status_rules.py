"""The written rules of a group's status and score (`POSUKK_STATUS_RULES`), applied by
`bot.reports.group_status`.

The Ministry's Juknis Pembinaan dan Penilaian Pos UKK (2021) defines development levels whose exact
criteria we could not confirm, so every threshold and weight is a setting that a district can change
without touching code.
"""

from __future__ import annotations

from typing import Self

from pydantic import BaseModel, Field, model_validator


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
