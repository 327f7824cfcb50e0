"""The queries that run often stay on indexes, so that they stay fast on a large database.

bench/data_scale.py times them on 100,000 people and 1,000,000 outbox rows; here their query
plans are read on the demo database, which gives the same plans: the bot never runs ANALYZE, so
SQLite plans a query alike whatever its tables hold.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.data_scale import Picks, full_scans, probes
from bot.storage.database import Database
from tests.conftest import FakeClock, RowCounter, add_meeting


@pytest.mark.sqlite_only(
    reason="reads SQLite's query plans; PostgreSQL's planner uses statistics and plans by size"
)
async def test_frequent_queries_read_no_large_table_whole(
    database: Database, db_path: Path, clock: FakeClock, rows: RowCounter
) -> None:
    await add_meeting(database, clock)
    rows(
        "INSERT INTO incidents (group_id, kind, victim, occupation, occurred_on, activity,"
        " created_at) VALUES (1, 'injury', 'self', 'nelayan', '2026-11-23', 'bekerja', 'now')"
    )
    operations = probes(Picks.read(db_path))
    found = {name: await full_scans(db_path, work) for name, work in operations.items()}
    assert {name: scans for name, scans in found.items() if scans} == {}
