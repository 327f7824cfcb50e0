"""The jobs that run every minute, in `posukk run` and after each line of the terminal chat."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

from bot.base.models import Channel
from bot.base.settings import Settings
from bot.base.texts import Texts
from bot.storage.database import Database
from content.knowledge import Knowledge
from scheduler.broadcasts import advance_broadcasts
from scheduler.escalation import escalate_unattended
from scheduler.reminders import materialise_reminders
from scheduler.summaries import queue_summaries


async def run_due_jobs(
    database: Database,
    texts: Texts,
    knowledge: Knowledge,
    settings: Settings,
    now: dt.datetime,
    channels: Collection[Channel],
) -> int:
    """Queue the reminders now due, escalate reports nobody acted on, send the weekly and
    monthly summaries when due, move broadcasts on; how many messages were queued."""
    queued = await materialise_reminders(database, texts, now, settings.reminders)
    queued += await queue_summaries(database, texts, knowledge, settings, now)
    queued += await escalate_unattended(
        database, texts, knowledge, now, settings.escalate_after_hours
    )
    return queued + await advance_broadcasts(database, texts, settings.data_dir, now, channels)
