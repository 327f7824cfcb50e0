"""Monthly indicators, status and score on a seeded database with known answers."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest

from bot.app.demo import FISHERMEN, FISHERMEN_CODE
from bot.base.models import Channel
from bot.base.status_rules import StatusRules
from bot.core.engine import Engine
from bot.reports.group_status import Status, score, slipped, status
from bot.reports.indicators import MonthIndicators, month_indicators
from bot.storage.database import Database
from bot.storage.records import Group, NewGroup
from tests.conftest import MEETING, FakeClock, add_meeting, person
from tests.handlers.test_report import report_cut_on_the_boat

NOVEMBER, DECEMBER, OCTOBER = dt.date(2026, 11, 1), dt.date(2026, 12, 1), dt.date(2026, 10, 1)


async def fishermen_month(database: Database, month: dt.date) -> MonthIndicators:
    async with database.unit_of_work() as uow:
        group = await uow.groups.by_code(FISHERMEN_CODE)
        assert group is not None
        return await month_indicators(uow, group, month)


async def a_month_of_work(engine: Engine, database: Database, clock: FakeClock) -> None:
    """Budi reports a cut, Bu Sari contacts him and refers him within 2 hours, and she records
    the weekly meeting of 24 November as held with Budi present."""
    budi, sari = person(engine, "budi"), person(engine, "sari")
    await report_cut_on_the_boat(budi)
    await budi.tap("rep:send")
    clock.advance(hours=2)
    await sari.tap("inc:1:contacted")
    await sari.tap("inc:1:referred")
    activity = await add_meeting(database, clock)
    async with database.unit_of_work() as uow:
        budi_user = await uow.users.by_platform(Channel.TERMINAL, "demo:budi")
        sari_user = await uow.users.by_platform(Channel.TERMINAL, "demo:sari")
        assert budi_user is not None
        assert sari_user is not None
        await uow.activities.record(
            activity, MEETING, held=True, note="", attendees=[budi_user.id],
            recorded_by=sari_user.id, now=MEETING,
        )  # fmt: skip


async def test_a_month_of_the_fishermen_group_counts_what_happened(
    engine: Engine, database: Database, clock: FakeClock
) -> None:
    await a_month_of_work(engine, database, clock)

    november = await fishermen_month(database, NOVEMBER)

    assert (november.members, november.active_members, november.kader) == (2, 2, 1)
    assert (november.activities_planned, november.activities_held, november.attendances) == (
        1,
        1,
        1,
    )
    assert november.attendance_rate == 0.5
    assert (november.injuries, november.near_misses, november.followed_up) == (1, 0, 1)
    assert november.referrals == 1
    assert november.injuries_by_topic == {"fish-hook": 1}
    assert (november.followups_asked, november.followups_answered) == (0, 0)
    assert status(november, StatusRules()) is Status.ACTIVE
    assert score(november, StatusRules()) == 30 + 10 + 30 + 20

    december = await fishermen_month(database, DECEMBER)
    assert december.activities_planned == 5, "every Tuesday of December"
    assert (december.activities_held, december.injuries) == (0, 0)
    assert december.active_members == 2, "both wrote in the 60 days before 1 January"


async def test_an_empty_month_and_a_group_without_members(database: Database) -> None:
    october = await fishermen_month(database, OCTOBER)
    assert (october.members, october.activities_planned, october.injuries) == (0, 0, 0)
    assert october.attendance_rate is None
    assert october.active_share is None
    assert status(october, StatusRules()) is Status.INACTIVE
    assert score(october, StatusRules()) == 20, "only the follow-up points: no injury was missed"
    async with database.unit_of_work() as uow:
        empty = await uow.groups.create(
            NewGroup(**{**FISHERMEN.__dict__, "name": "Kosong"}),
            dt.datetime(2026, 11, 1, tzinfo=dt.UTC),
        )
        november = await month_indicators(uow, empty, NOVEMBER)
    assert (november.members, november.kader, november.active_members) == (0, 0, 0)


@pytest.mark.parametrize(
    ("held", "active", "members", "expected"),
    [
        (1, 5, 10, Status.ACTIVE),
        (1, 4, 10, Status.LESS_ACTIVE),
        (0, 9, 10, Status.LESS_ACTIVE),
        (0, 1, 10, Status.INACTIVE),
        (0, 2, 10, Status.LESS_ACTIVE),
        (3, 0, 0, Status.LESS_ACTIVE),
    ],
)
def test_status_thresholds(held: int, active: int, members: int, expected: Status) -> None:
    month = a_month(
        members=members, active_members=active, activities_planned=held, activities_held=held
    )
    assert status(month, StatusRules()) is expected


ZERO = MonthIndicators(
    group=Group(id=1, join_code=FISHERMEN_CODE, **dataclasses.asdict(FISHERMEN)),
    month=NOVEMBER, members=0, active_members=0, kader=0, activities_planned=0,
    activities_held=0, attendances=0, injuries=0, near_misses=0, followed_up=0, referrals=0,
    followups_asked=0, followups_answered=0, broadcast_messages=0, broadcasts_read=0,
    broadcasts_trackable=0,
)  # fmt: skip


def a_month(**counts: Any) -> MonthIndicators:
    """November of the demo fishermen group with these counts, every other one zero."""
    return dataclasses.replace(ZERO, **counts)


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        ({"activities_held": 1, "members": 2, "active_members": 2},
         {"members": 2, "active_members": 2}, True),
        ({"members": 10, "active_members": 5}, {"members": 10, "active_members": 4}, False),
        ({"members": 10, "active_members": 10}, {"members": 10, "active_members": 4}, True),
        ({}, {"activities_held": 1, "members": 1, "active_members": 1}, False),
    ],
    ids=["status went down", "score fell 3", "score fell 18", "did better"],
)  # fmt: skip
def test_a_group_slipped_when_status_or_score_went_down(
    before: dict[str, int], after: dict[str, int], expected: bool
) -> None:
    assert slipped(a_month(**before), a_month(**after), StatusRules()) is expected


def test_thresholds_are_settings_and_weights_must_make_a_hundred() -> None:
    strict = StatusRules.model_validate_json('{"active_min_held": 2}')
    assert strict.active_min_held == 2
    with pytest.raises(ValueError, match="add up to 100"):
        StatusRules(weight_held=50)
