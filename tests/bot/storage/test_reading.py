"""Read-only units of work: long reads (a month of indicators) that hold up no writer."""

from __future__ import annotations

import asyncio
import sqlite3

import psycopg
import pytest

from bot.storage.database import Database

RENAME = "UPDATE pos_groups SET name = 'Diganti'"


async def group_names(database: Database) -> list[str]:
    async with database.reading() as uow:
        return sorted(group.name for group in await uow.groups.all())


async def test_a_read_sees_what_was_committed_and_may_not_write(database: Database) -> None:
    names = await group_names(database)
    assert len(names) >= 2
    with pytest.raises((sqlite3.OperationalError, psycopg.errors.ReadOnlySqlTransaction)):
        async with database.reading() as uow:
            await uow.connection.execute(RENAME)
    assert await group_names(database) == names


async def test_a_read_neither_waits_for_a_writer_nor_sees_what_it_has_not_committed(
    database: Database,
) -> None:
    before = await group_names(database)
    async with database.unit_of_work() as uow:
        await uow.connection.execute(RENAME)
        assert await asyncio.wait_for(group_names(database), timeout=5) == before
    assert set(await group_names(database)) == {"Diganti"}


async def test_reads_take_turns_and_each_ends_its_transaction(database: Database) -> None:
    """Many reads at once on the one reading connection, then a write: none is left open."""
    results = await asyncio.gather(*(group_names(database) for _ in range(20)))
    assert len({tuple(names) for names in results}) == 1
    async with database.unit_of_work() as uow:
        await uow.connection.execute(RENAME)
    assert set(await group_names(database)) == {"Diganti"}
