"""The data folder is for the bot alone: the database, photos and exports hold health data."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

FOLDER_MODE = 0o700
FILE_MODE = 0o600


def keep_private(data_dir: Path) -> None:
    """From now on every file this process creates is readable by its owner only (umask), and
    what is already in `data_dir` is made so too (a folder created before, or copied in)."""
    os.umask(0o077)
    data_dir.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
    data_dir.chmod(FOLDER_MODE)
    for folder, folders, files in os.walk(data_dir):
        for name in folders:
            _chmod(Path(folder, name), FOLDER_MODE)
        for name in files:
            path = Path(folder, name)
            if not path.is_symlink():
                _chmod(path, FILE_MODE)


def _chmod(path: Path, mode: int) -> None:
    """A file gone since the folder was listed needs nothing: SQLite deletes its `-wal` and
    `-shm` files when another program's connection to the database (`posukk admin`, a backup)
    closes, and the bot must start all the same."""
    with contextlib.suppress(FileNotFoundError):
        path.chmod(mode)
