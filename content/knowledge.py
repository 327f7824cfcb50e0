"""Everything the conversation needs from the content: the topics and the matcher built on them."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from importlib import metadata
from pathlib import Path

import numpy as np

from content.classifier import NO_TOPIC, Example, TopicClassifier, Weights
from content.concepts import load_vocabulary
from content.loader import load_topics
from content.matcher import Matcher
from content.normalise import known_stems, remember_stems
from content.packs import Pack, load_packs
from content.schema import Category, Localized, Sector, Topic

HERE = Path(__file__).parent
TRAINING_FILE = HERE / "training" / "messages.jsonl"
CACHE_PREFIX = "triage-"
WEIGHT_FIELDS = tuple(field.name for field in fields(Weights) if field.init)
_LOADED: dict[str, Knowledge] = {}
"""The content already built in this process, by `content_hash`."""


@dataclass(frozen=True)
class Knowledge:
    topics: Mapping[str, Topic]
    matcher: Matcher
    packs: Mapping[str, Pack]
    """The card packs (`packs.yaml`), by id."""

    @classmethod
    def load(cls, cache_dir: Path | None = None) -> Knowledge:
        """The content as it is on disk now, built once per process for the same files."""
        digest = content_hash()
        loaded = _LOADED.get(digest)
        if loaded is None:
            loaded = _LOADED[digest] = cls.build(cache_dir, digest)
        return loaded

    @classmethod
    def build(cls, cache_dir: Path | None = None, digest: str | None = None) -> Knowledge:
        """The content built now. With `cache_dir`, the trained classifier and the roots of the
        words it has seen are kept there by the hash of the content and the code it came from, so
        the next process skips the training (about 3 s) and the stemming (about 0.5 s)."""
        digest = digest or content_hash()
        topics = load_topics()
        vocabulary, examples = load_vocabulary(), load_examples()
        cached = _read_cache(cache_dir, digest) if cache_dir else None
        matcher = Matcher(topics, vocabulary, examples, trained=cached)
        if cache_dir and cached is None:
            _write_cache(cache_dir, digest, matcher.classifier)
        return cls(topics, matcher, load_packs(topics))

    def in_category(self, category: Category) -> list[Topic]:
        return sorted(
            (t for t in self.topics.values() if t.category is category), key=lambda t: t.title.id
        )

    def pack_for(self, sector: Sector) -> Pack | None:
        """The pack of a trade, if it has one."""
        return next((p for p in self.packs.values() if p.sector is sector), None)

    def sign_label(self, concept_id: str) -> Localized:
        return self.matcher.finder.concepts[concept_id].label


def load_examples(path: Path = TRAINING_FILE) -> list[Example]:
    """Labelled messages the topic classifier learns from (`topic: null` for no topic)."""
    examples = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            raw = json.loads(line)
            if not isinstance(raw.get("text"), str):
                raise ValueError(f"{path.name}:{number}: a line needs a text")
            examples.append(Example(raw["text"], raw.get("topic") or NO_TOPIC))
    return examples


def content_hash() -> str:
    """The hash of everything the matcher is built from: the package's code and data files,
    and the versions of the libraries that read them."""
    digest = hashlib.sha256()
    for library in ("numpy", "PySastrawi"):
        digest.update(f"{library}={metadata.version(library)};".encode())
    for path in sorted(HERE.rglob("*")):
        if path.suffix in (".py", ".yaml", ".jsonl") and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(HERE)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:32]


def _read_cache(folder: Path, digest: str) -> TopicClassifier | None:
    path = folder / f"{CACHE_PREFIX}{digest}.npz"
    try:
        with np.load(path, allow_pickle=False) as saved:
            words, roots, names = (_lines(saved[key]) for key in ("words", "roots", "names"))
            remember_stems(dict(zip(words, roots, strict=True)))
            weights = Weights(**{field: saved[field] for field in WEIGHT_FIELDS})
            return TopicClassifier.trained(saved["labels"].tolist(), names, saved["idf"], weights)
    except (OSError, KeyError, ValueError):  # none yet, or unreadable: train again
        return None


def _write_cache(folder: Path, digest: str, classifier: TopicClassifier) -> None:
    """Keep the trained weights, replacing those of older content; a cache that cannot be
    written is no error."""
    labels, names, idf, weights = classifier.state()
    stems = known_stems()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, suffix=".npz", delete=False) as file:
            np.savez(
                file,
                labels=np.array(labels),
                names=_joined(names),
                idf=idf,
                **{field: getattr(weights, field) for field in WEIGHT_FIELDS},
                words=_joined(stems),
                roots=_joined(stems.values()),
            )
        os.replace(file.name, folder / f"{CACHE_PREFIX}{digest}.npz")
        for old in folder.glob(f"{CACHE_PREFIX}*.npz"):
            if old.name != f"{CACHE_PREFIX}{digest}.npz":
                old.unlink(missing_ok=True)
    except OSError:
        return


def _joined(texts: Iterable[str]) -> np.ndarray:
    """Many short texts as one line each: an array of strings would give each the longest's room."""
    return np.array("\n".join(texts))


def _lines(saved: np.ndarray) -> list[str]:
    return str(saved).split("\n")


def pick(text: Localized, language: str) -> str:
    """The text in `language`, Indonesian when that language is missing."""
    return text.en if language == "en" else text.id
