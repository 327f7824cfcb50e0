"""The delivery worker is woken after a commit that queued an outbox row, and only then."""

from __future__ import annotations

import pytest

from bot.base import keys
from bot.base.clock import utc_now
from bot.storage.database import Database


class Failed(Exception):
    """Raised inside a unit of work to roll it back."""


async def queue_alarm(database: Database, *, then_fail: bool = False) -> bool:
    """An alarm for the first person, as the SOS flow queues one; whether it was new."""
    async with database.unit_of_work() as uow:
        person = (await uow.users.many([1]))[0]
        now = utc_now()
        added = await uow.outbox.enqueue(
            user_id=person.id, kind="alert", payload="{}", dedupe_key=keys.alarm(person.id, now),
            now=now,
        )  # fmt: skip
        if then_fail:
            raise Failed
    return added


async def test_a_commit_that_queued_wakes_delivery_and_others_do_not(database: Database) -> None:
    wakes: list[str] = []
    database.when_queued(lambda: wakes.append("wake"))
    async with database.unit_of_work() as uow:
        await uow.groups.all()
    assert wakes == [], "a unit of work that queued nothing wakes nobody"
    assert await queue_alarm(database)
    assert wakes == ["wake"]
    with pytest.raises(Failed):
        await queue_alarm(database, then_fail=True)
    assert wakes == ["wake"], "a rolled-back row is not there to send"
