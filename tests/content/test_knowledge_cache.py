"""The trained classifier kept between processes (`Knowledge.build(cache_dir)`)."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from content.knowledge import CACHE_PREFIX, Knowledge, content_hash
from content.normalise import clear_caches, stem

MESSAGES = ("sy kna kail di jari", "digigit ular", "ada yg jual jaring bekas?", "ubur2")


@pytest.fixture(scope="module")
def cached(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cache written by one build: the trained weights of the content as it is."""
    folder = tmp_path_factory.mktemp("triage")
    Knowledge.build(folder)
    return folder / f"{CACHE_PREFIX}{content_hash()}.npz"


def test_a_build_keeps_exactly_one_file_named_by_the_content(cached: Path) -> None:
    assert [path.name for path in cached.parent.iterdir()] == [cached.name]


def test_a_cached_classifier_triages_exactly_as_a_trained_one(
    cached: Path, knowledge: Knowledge
) -> None:
    """`knowledge` was trained in this process; the other is read from the file."""
    from_cache = Knowledge.build(cached.parent)
    assert from_cache.matcher.classifier is not knowledge.matcher.classifier
    for text in MESSAGES:
        assert from_cache.matcher.triage(text) == knowledge.matcher.triage(text)


def test_the_cached_weights_are_the_ones_used(cached: Path, tmp_path: Path) -> None:
    """A new process reads the classifier instead of training it: weights changed in the file
    are the weights it scores with (with every base and delta zero, every weight is zero)."""
    with np.load(cached) as saved:
        arrays = {name: saved[name] for name in saved.files}
    zeroed = {name: np.zeros_like(arrays[name]) for name in ("label_base", "feature_base")}
    zeroed["pair_deltas"] = np.zeros_like(arrays["pair_deltas"])
    np.savez(tmp_path / cached.name, **{**arrays, **zeroed})
    scores = Knowledge.build(tmp_path).matcher.classifier.scores(Counter({"w:ular": 1}))
    assert set(scores.values()) == {0.0}


def test_an_unreadable_cache_is_trained_again_and_other_contents_cache_goes(
    cached: Path, tmp_path: Path
) -> None:
    stale = tmp_path / f"{CACHE_PREFIX}{'0' * 32}.npz"
    shutil.copy(cached, stale)
    (tmp_path / cached.name).write_bytes(b"broken")
    assert Knowledge.build(tmp_path).matcher.triage("digigit ular").topics[0] == "snakebite"
    assert [path.name for path in tmp_path.iterdir()] == [cached.name]
    with np.load(tmp_path / cached.name) as saved, np.load(cached) as first:
        assert saved["pair_deltas"].shape == first["pair_deltas"].shape


def test_the_same_content_is_built_once_per_process() -> None:
    assert Knowledge.load() is Knowledge.load()


def test_the_roots_found_while_training_are_kept_and_read_back(
    cached: Path, tmp_path: Path
) -> None:
    """A new process takes the roots from the file instead of stemming the content again: a root
    changed in the file is the root it uses."""
    with np.load(cached) as saved:
        arrays = {name: saved[name] for name in saved.files}
    words, roots = str(arrays["words"]).split("\n"), str(arrays["roots"]).split("\n")
    assert roots[words.index("tertusuk")] == "tusuk"
    roots[words.index("tertusuk")] = "tertusuk-from-cache"
    np.savez(tmp_path / cached.name, **{**arrays, "roots": np.array("\n".join(roots))})
    clear_caches()
    try:
        Knowledge.build(tmp_path)
        assert stem("tertusuk") == "tertusuk-from-cache"
    finally:
        clear_caches()
