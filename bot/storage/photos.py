"""Photos people send (incident reports, broadcast posters), and voice notes sent during a
report, kept on disk by their hash.

Platform file ids expire (WhatsApp media after days, its download links after minutes), so
adapters download them at once and keep them here; `Inbound.photo_ref` and `voice_ref` are the
relative paths.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Awaitable, Callable, Collection, Iterable
from pathlib import Path

log = logging.getLogger(__name__)

PHOTOS = "photos"
UNCLAIMED_PHOTO_SECONDS = 24 * 3600


async def keep_media(
    data_dir: Path,
    size: int | None,
    max_bytes: int,
    download: Callable[[], Awaitable[bytes]],
    suffix: str = ".jpg",
) -> str | None:
    """Download a photo (or a voice note, `suffix` ".ogg") of (announced) `size` unless it is
    over `max_bytes`, store it under `data_dir/photos/<sha256><suffix>`, and return that path
    relative to `data_dir`."""
    if size is not None and size > max_bytes:
        log.warning("ignoring a file of %s bytes", size)
        return None
    content = await download()
    if len(content) > max_bytes:
        log.warning("ignoring a file of %s bytes", len(content))
        return None
    digest = hashlib.sha256(content).hexdigest()
    folder = data_dir / PHOTOS
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{digest}{suffix}"
    if not path.exists():
        await asyncio.to_thread(path.write_bytes, content)
    return f"{PHOTOS}/{path.name}"


async def delete_unused(
    data_dir: Path, in_use: Collection[str], candidates: Iterable[str] | None = None
) -> int:
    """Delete the kept photos no report, broadcast or conversation refers to: `candidates`
    (relative paths), or else every photo on disk older than a day (younger ones may belong to a
    conversation about to be saved). How many were deleted."""
    folder = data_dir / PHOTOS
    if candidates is None:
        cutoff = time.time() - UNCLAIMED_PHOTO_SECONDS
        paths = [p for p in folder.glob("*.*") if p.stat().st_mtime < cutoff]
    else:
        paths = [data_dir / ref for ref in candidates if Path(ref).parent == Path(PHOTOS)]
    deleted = 0
    for path in paths:
        if f"{PHOTOS}/{path.name}" not in in_use and path.is_file():
            await asyncio.to_thread(path.unlink, missing_ok=True)
            deleted += 1
    return deleted
