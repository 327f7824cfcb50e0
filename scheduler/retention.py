"""The daily privacy job: reports past the retention period lose what identifies anyone, and
copies nobody needs any more (sent message texts, platform message ids, stray photos, export
files and attachments no pending message needs) are let go."""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass
from pathlib import Path

from bot.storage.attachments import delete_unused_attachments
from bot.storage.database import Database
from bot.storage.photos import delete_unused

log = logging.getLogger(__name__)

SENT_TEXT_DAYS = 30
"""How long the text of a delivered message is kept (a late status report may resend it)."""
SEEN_MESSAGE_DAYS = 14
"""How long platform message ids are kept to drop redelivered webhooks (Meta retries for days)."""
EXPORT_FILE_SECONDS = 24 * 3600
"""Export and /datasaya files are sent at once; the copy on disk goes after a day."""
EXPORTS = "exports"


@dataclass(frozen=True)
class Forgotten:
    reports: int
    message_texts: int
    message_ids: int
    photos: int
    files: int


def years_before(now: dt.datetime, years: int) -> dt.datetime:
    """The same day and time `years` earlier (28 February for a 29 February)."""
    try:
        return now.replace(year=now.year - years)
    except ValueError:
        return now.replace(year=now.year - years, day=28)


async def forget_old_data(
    database: Database, data_dir: Path, now: dt.datetime, retention_years: int
) -> Forgotten:
    async with database.unit_of_work() as uow:
        reports = await uow.incidents.anonymise_before(years_before(now, retention_years), now)
        texts = await uow.privacy.forget_sent_texts(now - dt.timedelta(days=SENT_TEXT_DAYS))
        ids = await uow.privacy.forget_seen_messages(now - dt.timedelta(days=SEEN_MESSAGE_DAYS))
        in_use = await uow.privacy.photos_in_use()
        attached = await uow.privacy.attachments_in_use()
        await uow.web_logins.forget_expired(now)
    photos = await delete_unused(data_dir, in_use)
    files = _delete_old_files(data_dir / EXPORTS, time.time() - EXPORT_FILE_SECONDS)
    files += delete_unused_attachments(data_dir, attached)
    await database.checkpoint()
    forgotten = Forgotten(reports, texts, ids, photos, files)
    log.info("privacy job: %s", forgotten)
    return forgotten


def _delete_old_files(folder: Path, older_than: float) -> int:
    if not folder.is_dir():
        return 0
    old = [
        path for path in folder.iterdir() if path.is_file() and path.stat().st_mtime < older_than
    ]
    for path in old:
        path.unlink(missing_ok=True)
    return len(old)
