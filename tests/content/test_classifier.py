"""The classifier's sparse weights against Complement Naive Bayes written out densely."""

from __future__ import annotations

from collections import Counter

import numpy as np
import numpy.typing as npt
import pytest

from content import classifier as classifier_module
from content.classifier import SMOOTHING, TopicClassifier

EXAMPLES = [
    (Counter({"w:ular": 1, "w:gigit": 1}), "snakebite"),
    (Counter({"w:ular": 2, "w:kaki": 1}), "snakebite"),
    (Counter({"w:kail": 1, "w:jari": 1}), "fishhook"),
    (Counter({"w:jari": 1, "w:luka": 1}), "cut"),
    (Counter({"w:luka": 1, "w:kaki": 1, "w:gigit": 1}), "cut"),
]


def dense_weights(classifier: TopicClassifier) -> npt.NDArray[np.float64]:
    """Rennie et al.'s weights from the training counts, as a features x labels matrix."""
    totals = np.zeros((len(classifier.labels), len(classifier.state()[1])))
    for counted, label in EXAMPLES:
        indices, values = classifier._vector(counted)
        totals[classifier.labels.index(label), indices] += values
    complement = totals.sum(axis=0) - totals + SMOOTHING
    weights: npt.NDArray[np.float64] = -np.log(complement / complement.sum(axis=1, keepdims=True))
    return weights.T


@pytest.mark.parametrize("common_labels", [0, 1, 100])
def test_every_weight_is_complement_naive_bayes(
    common_labels: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whether a feature's row is kept whole (seen with more than `COMMON_LABELS` labels) or
    worked out from its pairs, its weights are the same."""
    monkeypatch.setattr(classifier_module, "COMMON_LABELS", common_labels)
    classifier = TopicClassifier(EXAMPLES)
    _, names, _, weights = classifier.state()
    everything = np.arange(len(names))
    assert np.allclose(weights.rows(everything), dense_weights(classifier), rtol=1e-12)


def test_a_feature_seen_with_no_label_but_one_still_weighs_for_every_label() -> None:
    """ "w:kail" was seen with fishhook only: its other labels' weights come from the bases."""
    classifier = TopicClassifier(EXAMPLES)
    _, names, _, weights = classifier.state()
    kail = names.index("w:kail")
    assert weights.starts[kail + 1] - weights.starts[kail] == 1
    row = weights.rows(np.array([kail]))[0]
    assert np.allclose(row, dense_weights(classifier)[kail], rtol=1e-12)
    assert row[classifier.labels.index("fishhook")] > row[classifier.labels.index("cut")]
