"""The trained classifier kept between processes (`Knowledge.load(cache_dir)`)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np

from content.knowledge import CACHE_PREFIX, Knowledge, content_hash

MESSAGES = ("sy kna kail di jari", "digigit ular", "ada yg jual jaring bekas?", "ubur2")


def test_a_cached_classifier_triages_exactly_as_a_trained_one(tmp_path: Path) -> None:
    trained = Knowledge.build(tmp_path)
    kept = sorted(path.name for path in tmp_path.iterdir())
    assert kept == [f"{CACHE_PREFIX}{content_hash()}.npz"]
    cached = Knowledge.build(tmp_path)  # as a new process would
    assert cached.matcher.classifier is not trained.matcher.classifier
    for text in MESSAGES:
        assert cached.matcher.triage(text) == trained.matcher.triage(text)


def test_a_cache_of_other_content_is_not_used_and_is_replaced(tmp_path: Path) -> None:
    stale = tmp_path / f"{CACHE_PREFIX}{'0' * 32}.npz"
    stale.write_bytes(b"not a classifier")
    Knowledge.build(tmp_path)
    assert not stale.exists()
    assert (tmp_path / f"{CACHE_PREFIX}{content_hash()}.npz").exists()


def test_an_unreadable_cache_is_trained_again(tmp_path: Path) -> None:
    (tmp_path / f"{CACHE_PREFIX}{content_hash()}.npz").write_bytes(b"broken")
    assert Knowledge.build(tmp_path).matcher.triage("digigit ular").topics[0] == "snakebite"


def test_the_same_content_is_built_once_per_process() -> None:
    assert Knowledge.load() is Knowledge.load()


def test_the_cached_weights_are_the_ones_used(tmp_path: Path) -> None:
    """A new process reads the classifier from the cache instead of training it: weights
    changed in the file are the weights it scores with."""
    Knowledge.build(tmp_path)
    path = tmp_path / f"{CACHE_PREFIX}{content_hash()}.npz"
    with np.load(path) as saved:
        arrays = {name: saved[name] for name in saved.files}
    np.savez(path, **{**arrays, "weights": np.zeros_like(arrays["weights"])})
    scores = Knowledge.build(tmp_path).matcher.classifier.scores(Counter({"w:ular": 1}))
    assert set(scores.values()) == {0.0}
