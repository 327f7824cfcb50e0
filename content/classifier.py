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
from dataclasses import dataclass, field
from itertools import pairwise

import numpy as np
import numpy.typing as npt

from content.normalise import content_words, stem

NGRAMS = (3, 4, 5)
KEYWORD_FEATURES = 2
"""How many of the keyword index's best topics become features."""
SMOOTHING = 0.3
"""Complement NB's alpha: how much weight a feature never seen with a topic's complement keeps."""
COMMON_LABELS = 8
"""Features seen with more labels than this keep their rows whole (15,000 of 138,000: 6 MB)."""
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


@dataclass(frozen=True)
class Weights:
    """What the classifier learned, kept sparse (14 MB where a dense matrix of features by
    labels took 55 MB: 137,736 features, 50 labels).

    Complement NB's weight of feature f for label l is `log(S[l]) - log(T[f] - c[f, l] + a)`:
    `T[f]` the feature's total count, `c[f, l]` its count in the label, `a` SMOOTHING and `S[l]`
    the label's complement summed over all features. Most features were seen with few labels; for
    the others `c[f, l]` is 0, so the weight is `label_base[l] - feature_base[f]`, and the pairs
    with a count add a `pair_delta`. Stored per feature as a CSR matrix: feature f's pairs are
    `pair_labels[starts[f]:starts[f + 1]]`, and `pair_deltas` alike.
    """

    label_base: npt.NDArray[np.float64]
    feature_base: npt.NDArray[np.float64]
    starts: npt.NDArray[np.int64]
    pair_labels: npt.NDArray[np.int16]
    pair_deltas: npt.NDArray[np.float64]
    common: npt.NDArray[np.float64] = field(init=False, repr=False)
    """The rows of the features seen with more than COMMON_LABELS labels, worked out once: most
    of a message's features are such (character n-grams), and gathering whole rows is faster."""
    common_row: npt.NDArray[np.int32] = field(init=False, repr=False)
    """Each feature's row in `common`, or -1."""

    def __post_init__(self) -> None:
        common = np.flatnonzero(np.diff(self.starts) > COMMON_LABELS)
        row = np.full(len(self.feature_base), -1, dtype=np.int32)
        row[common] = np.arange(len(common))
        object.__setattr__(self, "common_row", row)
        object.__setattr__(self, "common", self._worked_out(common))

    @classmethod
    def learn(cls, totals: npt.NDArray[np.float64]) -> Weights:
        """From the summed TF-IDF values of the training messages, one row per label."""
        feature_totals = totals.sum(axis=0)
        label_totals = (feature_totals - totals + SMOOTHING).sum(axis=1)
        features, labels = np.nonzero(totals.T)
        feature_base = np.log(feature_totals + SMOOTHING)
        seen = feature_totals[features] - totals[labels, features] + SMOOTHING
        return cls(
            label_base=np.log(label_totals),
            feature_base=feature_base,
            starts=np.concatenate(
                ([0], np.cumsum(np.bincount(features, minlength=len(feature_base))))
            ),
            pair_labels=labels.astype(np.int16),
            pair_deltas=feature_base[features] - np.log(seen),
        )

    def rows(self, indices: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
        """The weights of the features at `indices`, one row each, one column per label."""
        at = self.common_row[indices]
        kept = at >= 0
        if kept.all():
            return self.common[at]
        rows = np.empty((len(indices), len(self.label_base)))
        rows[kept] = self.common[at[kept]]
        rows[~kept] = self._worked_out(indices[~kept])
        return rows

    def _worked_out(self, indices: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
        starts = self.starts[indices]
        lengths = self.starts[indices + 1] - starts
        pairs = np.arange(lengths.sum()) + np.repeat(starts - np.cumsum(lengths) + lengths, lengths)
        rows = self.label_base - self.feature_base[indices][:, np.newaxis]
        cells = np.repeat(np.arange(len(indices)) * len(self.label_base), lengths)
        np.add.at(rows.ravel(), cells + self.pair_labels[pairs], self.pair_deltas[pairs])
        return rows


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
        # A feature common in the other topics weighs against this one; -log keeps larger better.
        self._weights = Weights.learn(totals)

    @classmethod
    def trained(
        cls,
        labels: Sequence[str],
        names: Sequence[str],
        idf: npt.NDArray[np.float64],
        weights: Weights,
    ) -> TopicClassifier:
        """A classifier from weights trained before (`state`)."""
        classifier = cls.__new__(cls)
        classifier.labels = list(labels)
        classifier._names = list(names)
        classifier._vocabulary = {name: n for n, name in enumerate(classifier._names)}
        classifier._idf = idf
        classifier._weights = weights
        return classifier

    def state(self) -> tuple[list[str], list[str], npt.NDArray[np.float64], Weights]:
        """What `trained` needs to rebuild this classifier: labels, features, idf, weights."""
        return self.labels, self._names, self._idf, self._weights

    def scores(self, counted: Counter[str]) -> dict[str, float]:
        """Every label's score for a message; only differences between labels mean anything."""
        indices, values = self._vector(counted)
        if not len(indices):
            return dict.fromkeys(self.labels, 0.0)
        totals = values @ self._weights.rows(indices)
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
        weights = self._weights.rows(indices).T * values
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
