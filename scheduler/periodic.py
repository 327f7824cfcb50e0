"""APScheduler in `posukk run`: the periodic jobs and when they tick.

Every job is short and idempotent and reads what is due from the database, so APScheduler's
own job store holds nothing worth keeping: a restart, a missed tick or two ticks at once never
double-send or skip. What they queue goes out through the outbox (`scheduler/worker.py`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import AsyncIterator, Callable, Collection

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.base.clock import utc_now
from bot.base.models import Channel
from bot.base.settings import Settings
from bot.base.texts import Texts
from bot.storage.database import Database
from content.knowledge import Knowledge
from scheduler.broadcasts import advance_broadcasts
from scheduler.jobs import run_due_jobs
from scheduler.reminders import forget_remind_times
from scheduler.retention import forget_old_data

JOB_TICK_SECONDS = 60
"""Reminders, follow-ups, escalations, summaries: due within the minute."""
BROADCAST_TICK_SECONDS = 5
"""Confirmed broadcasts start within seconds, not at the next minute."""
CHECKPOINT_SECONDS = 5
"""The write-ahead log is copied into the database file this often, beside the transactions
(`Database.checkpoint_aside`), instead of inside whichever commit makes it long."""
PRIVACY_JOB_HOUR = 2
"""The daily privacy job runs at 02:00 in the default time zone, and once at every start."""


@contextlib.asynccontextmanager
async def periodic_jobs(
    database: Database,
    texts: Texts,
    knowledge: Knowledge,
    settings: Settings,
    channels: Collection[Channel],
    queued: Callable[[], None],
) -> AsyncIterator[None]:
    """Run the periodic jobs while inside; `queued` is called when a job queued messages for
    `channels` (the chat apps this process runs)."""
    scheduler = AsyncIOScheduler(timezone=dt.UTC)

    async def tick() -> None:
        if await run_due_jobs(database, texts, knowledge, settings, utc_now(), channels):
            queued()

    async def broadcasts() -> None:
        if await advance_broadcasts(database, texts, settings.data_dir, utc_now(), channels):
            queued()

    async def forget() -> None:
        await forget_old_data(database, settings.data_dir, utc_now(), settings.retention_years)

    await forget_remind_times(database)
    await database.checkpoint_in_a_job()
    every = {"max_instances": 1, "coalesce": True}
    now = dt.datetime.now(dt.UTC)
    scheduler.add_job(tick, "interval", seconds=JOB_TICK_SECONDS, next_run_time=now, **every)
    scheduler.add_job(broadcasts, "interval", seconds=BROADCAST_TICK_SECONDS, **every)
    scheduler.add_job(database.checkpoint_aside, "interval", seconds=CHECKPOINT_SECONDS, **every)
    scheduler.add_job(
        forget,
        "cron",
        hour=PRIVACY_JOB_HOUR,
        timezone=settings.default_timezone,
        next_run_time=now,
        **every,
    )
    scheduler.start()
    try:
        yield
    finally:
        scheduler.shutdown(wait=False)
