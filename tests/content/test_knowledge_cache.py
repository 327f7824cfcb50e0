"""The trained classifier kept between processes (`Knowledge.load(cache_dir)`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from content import knowledge as knowledge_module
from content.knowledge import CACHE_PREFIX, Knowledge, content_hash

MESSAGES = ("sy kna kail di jari", "digigit ular", "ada yg jual jaring bekas?", "ubur2")


@pytest.fixture
def fresh(monkeypatch: pytest.MonkeyPatch) -> None:
    """No content built in this process yet, as in a new `posukk` process."""
    monkeypatch.setattr(knowledge_module, "_LOADED", {})


@pytest.mark.usefixtures("fresh")
def test_a_cached_classifier_triages_exactly_as_a_trained_one(tmp_path: Path) -> None:
    trained = Knowledge.load(tmp_path)
    kept = sorted(path.name for path in tmp_path.iterdir())
    assert kept == [f"{CACHE_PREFIX}{content_hash()}.npz"]
    knowledge_module._LOADED.clear()
    cached = Knowledge.load(tmp_path)
    assert cached is not trained
    for text in MESSAGES:
        assert cached.matcher.triage(text) == trained.matcher.triage(text)


@pytest.mark.usefixtures("fresh")
def test_a_cache_of_other_content_is_not_used_and_is_replaced(tmp_path: Path) -> None:
    stale = tmp_path / f"{CACHE_PREFIX}{'0' * 32}.npz"
    stale.write_bytes(b"not a classifier")
    Knowledge.load(tmp_path)
    assert not stale.exists()
    assert (tmp_path / f"{CACHE_PREFIX}{content_hash()}.npz").exists()


@pytest.mark.usefixtures("fresh")
def test_an_unreadable_cache_is_trained_again(tmp_path: Path) -> None:
    (tmp_path / f"{CACHE_PREFIX}{content_hash()}.npz").write_bytes(b"broken")
    assert Knowledge.load(tmp_path).matcher.triage("digigit ular").topics[0] == "snakebite"


def test_the_same_content_is_built_once_per_process() -> None:
    assert Knowledge.load() is Knowledge.load()
