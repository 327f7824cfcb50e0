"""Cards and booklets kept by the hash of what they show, so each is drawn once per content.

The key is everything that goes on the page (the topic's words, the labels, the numbers) and
the design (the drawing code, the font files, the libraries' versions): a changed topic file,
catalog text or layout gives a new key and a new drawing; an unchanged one is read back. The
cache is `POSUKK_CACHE_DIR/printed`; anything there can be deleted at any time.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from functools import cache
from importlib import metadata
from pathlib import Path

from bot.reports.fonts import fonts_digest

FOLDER = "printed"


@cache
def design_digest(*sources: Path) -> str:
    """The hash of the drawing code in `sources`, the fonts and the drawing libraries."""
    digest = hashlib.sha256(fonts_digest().encode())
    for library in ("pillow", "fpdf2"):
        digest.update(f"{library}={metadata.version(library)};".encode())
    for source in sources:
        digest.update(source.read_bytes())
    return digest.hexdigest()[:16]


def cached_pages(
    cache_dir: Path, what: object, suffix: str, build: Callable[[], list[bytes]]
) -> list[Path]:
    """The files of `what` (JSON-able: the words and the design digest), built by `build` if
    they are not kept yet. Each page is a file; a small index, written last, lists them, so a
    half-written set is never read back."""
    text = json.dumps(what, ensure_ascii=False, sort_keys=True, default=str)
    key = hashlib.sha256(text.encode()).hexdigest()[:32]
    folder = cache_dir / FOLDER
    index = folder / f"{key}.pages"
    try:
        count = int(index.read_text())
        pages = [folder / f"{key}-{n}{suffix}" for n in range(1, count + 1)]
        if all(page.is_file() for page in pages):
            return pages
    except (OSError, ValueError):
        pass
    contents = build()
    folder.mkdir(parents=True, exist_ok=True)
    pages = []
    for number, content in enumerate(contents, 1):
        pages.append(folder / f"{key}-{number}{suffix}")
        _write(pages[-1], content)
    _write(index, str(len(contents)).encode())
    return pages


def _write(path: Path, content: bytes) -> None:
    with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as file:
        file.write(content)
    os.replace(file.name, path)
