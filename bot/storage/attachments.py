"""Files the bot makes to send (chart images, recap workbooks), kept until they are sent.

A scheduled summary may wait in the outbox (quiet hours, a kader away at sea), so its files live
here, named by their content, and the daily privacy job deletes them only once no pending
message refers to them.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Collection
from pathlib import Path

ATTACHMENTS = "attachments"
KEEP_SECONDS = 24 * 3600
"""An attachment no pending message needs goes a day after it was made."""


async def keep_attachment(data_dir: Path, stem: str, suffix: str, content: bytes) -> str:
    """Store `content` as `<stem>-<hash><suffix>` (a readable name for the person receiving it)
    and return its path."""
    digest = hashlib.sha256(content).hexdigest()[:16]
    path = data_dir / ATTACHMENTS / f"{stem}-{digest}{suffix}"
    if not path.exists():
        await asyncio.to_thread(_write, path, content)
    return str(path)


def delete_unused_attachments(data_dir: Path, in_use: Collection[str]) -> int:
    """Delete attachments older than `KEEP_SECONDS` whose file name no pending message holds."""
    folder = data_dir / ATTACHMENTS
    if not folder.is_dir():
        return 0
    cutoff = time.time() - KEEP_SECONDS
    old = [
        path
        for path in folder.iterdir()
        if path.is_file() and path.name not in in_use and path.stat().st_mtime < cutoff
    ]
    for path in old:
        path.unlink(missing_ok=True)
    return len(old)


def _write(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(path.suffix + ".part")
    temporary.write_bytes(content)
    temporary.replace(path)
