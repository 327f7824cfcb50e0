"""SQLite's one write lock goes to the answers to people writing in before delivery's claims and
marks, in the order they came otherwise; a unit of work given up while waiting holds up nobody."""

from __future__ import annotations

import asyncio

import pytest

from bot.storage.database import Database
from bot.storage.write_turns import first_in_line

pytestmark = pytest.mark.sqlite_only(reason="PostgreSQL has a pool of connections, no one lock")


async def wait_for_the_lock() -> None:
    """Long enough for tasks started before to be waiting for the write lock."""
    for _ in range(10):
        await asyncio.sleep(0)


async def test_units_of_work_first_in_line_go_before_those_waiting_already(
    database: Database,
) -> None:
    order: list[str] = []
    release = asyncio.Event()

    async def holding() -> None:
        async with database.unit_of_work():
            await release.wait()

    async def unit(name: str, *, first: bool) -> None:
        if first:
            with first_in_line():
                async with database.unit_of_work() as uow:
                    await uow.connection.execute("SELECT 1")
        else:
            async with database.unit_of_work() as uow:
                await uow.connection.execute("SELECT 1")
        order.append(name)

    holder = asyncio.create_task(holding())
    await wait_for_the_lock()
    tasks = [asyncio.create_task(unit("claim", first=False))]
    await wait_for_the_lock()
    tasks.append(asyncio.create_task(unit("mark", first=False)))
    await wait_for_the_lock()
    tasks.append(asyncio.create_task(unit("answer 1", first=True)))
    await wait_for_the_lock()
    tasks.append(asyncio.create_task(unit("answer 2", first=True)))
    await wait_for_the_lock()
    release.set()
    await asyncio.gather(holder, *tasks)
    assert order == ["answer 1", "answer 2", "claim", "mark"]


async def test_a_unit_of_work_cancelled_while_waiting_holds_up_nobody(database: Database) -> None:
    release = asyncio.Event()

    async def holding() -> None:
        async with database.unit_of_work():
            await release.wait()

    async def unit() -> None:
        async with database.unit_of_work() as uow:
            await uow.connection.execute("SELECT 1")

    holder = asyncio.create_task(holding())
    await wait_for_the_lock()
    given_up, after = asyncio.create_task(unit()), asyncio.create_task(unit())
    await wait_for_the_lock()
    given_up.cancel()
    release.set()
    await asyncio.wait_for(asyncio.gather(holder, after), 5)
    assert given_up.cancelled()
    handed_over = asyncio.create_task(unit())
    async with database.unit_of_work():
        await wait_for_the_lock()
    handed_over.cancel()  # the lock was handed to it a moment ago
    await asyncio.wait_for(unit(), 5)
    assert handed_over.cancelled()
