"""The data folder is made private at start, whatever else touches it meanwhile."""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.app.private_files import keep_private


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_what_is_in_the_folder_is_made_private(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "photos").mkdir(parents=True)
    (data / "photos" / "a.jpg").write_bytes(b"x")
    (data / "photos" / "a.jpg").chmod(0o644)
    keep_private(data)
    assert (mode(data), mode(data / "photos"), mode(data / "photos" / "a.jpg")) == (
        0o700,
        0o700,
        0o600,
    )


def test_sqlite_files_gone_during_the_walk_do_not_stop_the_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another program's connection closing deletes the `-wal` and `-shm` files after the
    folder was listed and before they are reached (it stopped a restart in a test run)."""
    data = tmp_path / "data"
    data.mkdir()
    other = sqlite3.connect(data / "posukk.sqlite3")
    other.execute("PRAGMA journal_mode = WAL")
    other.execute("CREATE TABLE t (x)")
    assert (data / "posukk.sqlite3-shm").exists()
    walk = os.walk

    def closing_meanwhile(top: Path) -> Iterator[tuple[str, list[str], list[str]]]:
        for listed in walk(top):
            other.close()  # the last connection: SQLite removes its -wal and -shm files
            yield listed

    monkeypatch.setattr(os, "walk", closing_meanwhile)
    keep_private(data)
    assert not (data / "posukk.sqlite3-shm").exists()
    assert mode(data / "posukk.sqlite3") == 0o600
