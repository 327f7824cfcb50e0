"""The write-ahead log copied into the database file beside the transactions, not inside one."""

from __future__ import annotations

from pathlib import Path

from bot.base.clock import utc_now
from bot.base.models import Channel
from bot.storage.database import Database
from bot.storage.inbox import Received

PAGES = 1_000
"""SQLite's own threshold: a commit that takes the log past it would copy the log itself."""


async def write_a_lot(database: Database) -> None:
    """About 8 MB of stored updates, in many commits."""
    for batch in range(40):
        async with database.unit_of_work() as uow:
            await uow.inbox.store(
                Channel.TELEGRAM,
                [Received(f"u{batch}-{n}", "sender", "x" * 4_000) for n in range(50)],
                utc_now(),
            )


async def test_commits_leave_the_log_to_the_checkpoint_job(tmp_path: Path) -> None:
    path = tmp_path / "posukk.sqlite3"
    database = await Database.open(path)
    try:
        await database.checkpoint_in_a_job()
        await write_a_lot(database)
        size = (tmp_path / "posukk.sqlite3-wal").stat().st_size
        assert size > 1.5 * PAGES * 4096, "no commit copied the log and started it over"
        assert path.stat().st_size < size / 2, "nothing copied into the database file yet"
        await database.checkpoint_aside()
        assert path.stat().st_size > 1.5 * PAGES * 4096, "the job copied the log into the file"
    finally:
        await database.close()
