"""A group's status (aktif / kurang aktif / tidak aktif) and score for one month, by written rules.

The Ministry's Juknis Pembinaan dan Penilaian Pos UKK (2021) defines development levels whose exact
criteria we could not confirm, so every threshold and weight is a setting
(`POSUKK_STATUS_RULES`, JSON) that a district can change without touching code.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from bot.base.status_rules import StatusRules

if TYPE_CHECKING:
    from bot.reports.indicators import MonthIndicators


class Status(StrEnum):
    ACTIVE = "aktif"
    LESS_ACTIVE = "kurang_aktif"
    INACTIVE = "tidak_aktif"


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
