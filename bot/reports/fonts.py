"""The font of cards and booklets: DejaVu Sans, which has every Indonesian letter (and the ✓ ✗
• marks the cards use). It comes with matplotlib, a dependency already (its `mpl-data`, under
the DejaVu fonts' own free licence), so nothing is bundled here and nothing is downloaded.
The folder is found without importing matplotlib, which `posukk content` must not load."""

from __future__ import annotations

import hashlib
from functools import cache
from importlib.util import find_spec
from pathlib import Path

REGULAR = "DejaVuSans.ttf"
BOLD = "DejaVuSans-Bold.ttf"


@cache
def font_folder() -> Path:
    spec = find_spec("matplotlib")
    locations = spec.submodule_search_locations if spec else None
    if not locations:
        raise FileNotFoundError("matplotlib is not installed: it ships the DejaVu Sans font")
    folder = Path(next(iter(locations))) / "mpl-data" / "fonts" / "ttf"
    if not (folder / REGULAR).is_file():
        raise FileNotFoundError(f"no {REGULAR} in {folder}")
    return folder


def font_path(*, bold: bool = False) -> Path:
    return font_folder() / (BOLD if bold else REGULAR)


@cache
def fonts_digest() -> str:
    """Changes when the font files do (a new matplotlib may ship another DejaVu)."""
    digest = hashlib.sha256()
    for name in (REGULAR, BOLD):
        digest.update((font_folder() / name).read_bytes())
    return digest.hexdigest()[:16]
