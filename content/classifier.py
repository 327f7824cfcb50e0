"""Which topic a message is about, learned from labelled messages and the topics' own words.

A Complement Naive Bayes classifier (Rennie et al., "Tackling the Poor Assumptions of Naive Bayes
Text Classifiers", ICML 2003) over TF-IDF features. It is trained from the data in the package,
never shipped as an opaque file, and every score is a sum of per-feature weights that `posukk
match` can show. Reading the features of the training messages and training take about 3 s, so
the trained weights can be kept in a cache keyed by the hash of the content (`content.knowledge`).

Features, all from the normalised message:
- character 3-5-grams across the words: typos and regional spellings share most of them
  ("keram"/"kram", "sesek"/"sesak");
- the words, their roots and word pairs;
- the red-flag concepts found (`@vomiting`): they say more than their words;
- the topics the keyword index ranks first and second (`k:snakebite`): the content's own words.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
import numpy.typing as npt

from content.normalise import content_words, stem

NGRAMS = (3, 4, 5)
KEYWORD_FEATURES = 2
"""How many of the keyword index's best topics become features."""
SMOOTHING = 0.3
"""Complement NB's alpha: how much weight a feature never seen with a topic's complement keeps."""
NO_TOPIC = ""
"""The label of messages that are about no first-aid topic (greetings, prices, weather)."""


@dataclass(frozen=True)
class Example:
    text: str
    label: str
    """A topic id, or NO_TOPIC."""


def features(text: str, concepts: Iterable[str], keyword_topics: Sequence[str]) -> Counter[str]:
    """The features of one message, counted."""
    found: Counter[str] = Counter()
    message_words = content_words(text)
    for word in message_words:
        found["w:" + word] += 1
        root = stem(word)
        if root != word:
            found["r:" + root] += 1
    for first, second in pairwise(message_words):
        found[f"b:{first}_{second}"] += 1
    padded = " " + " ".join(message_words) + " "
    for n in NGRAMS:
        found.update(padded[i : i + n] for i in range(len(padded) - n + 1))
    found.update("@" + concept for concept in concepts)
    found.update("k:" + topic for topic in keyword_topics[:KEYWORD_FEATURES])
    return found


class TopicClassifier:
    """Trained once from examples; `scores(features)` is then a lookup and one dot product."""

    def __init__(self, examples: Sequence[tuple[Counter[str], str]]) -> None:
        self.labels = sorted({label for _, label in examples})
        label_index = {label: n for n, label in enumerate(self.labels)}
        document_frequency: Counter[str] = Counter()
        for counted, _ in examples:
            document_frequency.update(counted.keys())
        self._vocabulary = {feature: n for n, feature in enumerate(document_frequency)}
        self._names = list(self._vocabulary)
        frequencies = np.fromiter(document_frequency.values(), dtype=float)
        self._idf = np.log((1 + len(examples)) / (1 + frequencies)) + 1
        rows, columns, values = [], [], []
        for counted, label in examples:
            indices, weights = self._vector(counted)
            rows.append(np.full(len(indices), label_index[label]))
            columns.append(indices)
            values.append(weights)
        totals = np.zeros((len(self.labels), len(self._vocabulary)))
        np.add.at(totals, (np.concatenate(rows), np.concatenate(columns)), np.concatenate(values))
        complement = totals.sum(axis=0, keepdims=True) - totals
        smoothed = complement + SMOOTHING
        # A feature common in the other topics weighs against this one; -log keeps larger better.
        # Kept feature by label (one row per feature), so a message's features are whole rows.
        self._weights = np.ascontiguousarray(
            (-np.log(smoothed / smoothed.sum(axis=1, keepdims=True))).T
        )

    @classmethod
    def trained(
        cls,
        labels: Sequence[str],
        names: Sequence[str],
        idf: npt.NDArray[np.float64],
        weights: npt.NDArray[np.float64],
    ) -> TopicClassifier:
        """A classifier from weights trained before (`state`)."""
        classifier = cls.__new__(cls)
        classifier.labels = list(labels)
        classifier._names = list(names)
        classifier._vocabulary = {name: n for n, name in enumerate(classifier._names)}
        classifier._idf = idf
        classifier._weights = weights
        return classifier

    def state(
        self,
    ) -> tuple[list[str], list[str], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """What `trained` needs to rebuild this classifier: labels, features, idf, weights."""
        return self.labels, self._names, self._idf, self._weights

    def scores(self, counted: Counter[str]) -> dict[str, float]:
        """Every label's score for a message; only differences between labels mean anything."""
        indices, values = self._vector(counted)
        if not len(indices):
            return dict.fromkeys(self.labels, 0.0)
        totals = values @ self._weights[indices]
        return dict(zip(self.labels, totals.tolist(), strict=True))

    def probabilities(self, counted: Counter[str]) -> dict[str, float]:
        """The scores as a probability per label (softmax): comparable between messages."""
        scores = self.scores(counted)
        values = np.array(list(scores.values()))
        exp = np.exp(values - values.max())
        return dict(zip(scores, (exp / exp.sum()).tolist(), strict=True))

    def contributions(self, counted: Counter[str], label: str, limit: int) -> list[str]:
        """The features that set `label` furthest above the average label, most first."""
        indices, values = self._vector(counted)
        if not len(indices):
            return []
        weights = self._weights[indices].T * values
        lead = weights[self.labels.index(label)] - weights.mean(axis=0)
        order = np.argsort(-lead)[:limit]
        return [self._names[indices[n]] for n in order if lead[n] > 0]

    def _vector(
        self, counted: Mapping[str, int]
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
        """Known features as indices and L2-normalised, sublinear TF-IDF values."""
        vocabulary = self._vocabulary
        found = [(vocabulary.get(f), c) for f, c in counted.items()]
        known = [(i, c) for i, c in found if i is not None]
        if not known:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        indices = np.array([i for i, _ in known], dtype=np.int64)
        values = np.array([c for _, c in known], dtype=float)
        values = (1 + np.log(values)) * self._idf[indices]
        return indices, values / np.linalg.norm(values)
