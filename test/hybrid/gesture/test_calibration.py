"""Calibration of H1's interval decisions: ECE, the fitted temperature, the threshold."""

import numpy as np
import pytest

from hybrid_perception.hybrid.gesture.calibration import (
    DECLINED_RIGHT,
    calibrate,
    expected_calibration_error,
    fit_temperature,
)
from hybrid_perception.networks.ann.runtime import softmax


def sampled(rng, n, classes=12, temperature=1.0, scale=3.0):
    """Logits and labels drawn from softmax(logits / temperature): a model whose
    probabilities are right once divided by ``temperature``."""
    logits = rng.normal(0, scale, (n, classes))
    p = softmax(logits / temperature)
    labels = (p.cumsum(axis=1) < rng.random((n, 1))).sum(axis=1)
    return logits, np.minimum(labels, classes - 1)


def test_ece_is_small_when_confidence_is_accuracy_and_the_gap_when_it_is_not():
    rng = np.random.default_rng(0)
    logits, labels = sampled(rng, 40_000)
    assert expected_calibration_error(softmax(logits), labels) < 0.02
    over = softmax(3 * logits)                  # the same ranking, over-confident
    gap = np.mean(over.max(axis=1)) - np.mean(over.argmax(axis=1) == labels)
    assert expected_calibration_error(over, labels) == pytest.approx(gap, abs=0.02)
    assert gap > 0.1


@pytest.mark.parametrize('temperature', [0.5, 2.5])
def test_the_fitted_temperature_is_the_one_the_labels_were_drawn_at(temperature):
    logits, labels = sampled(np.random.default_rng(1), 20_000, temperature=temperature)
    assert fit_temperature(logits, labels) == pytest.approx(temperature, rel=0.08)


def test_calibrate_fits_on_validation_and_measures_on_test():
    """Streamed decisions, (clips, intervals, classes): every interval counts."""
    rng = np.random.default_rng(2)

    def streamed(n):
        logits, labels = sampled(rng, n * 3, temperature=2.0)
        order = np.argsort(labels, kind='stable')      # three intervals per clip, one label
        logits, labels = logits[order], labels[order]
        keep = labels[0::3] == labels[2::3]
        return logits.reshape(n, 3, -1)[keep], labels[0::3][keep]

    found = calibrate(streamed(8000), streamed(8000))
    assert found.temperature == pytest.approx(2.0, rel=0.1)
    assert found.test_ece_calibrated < 0.03 < found.test_ece
    assert found.test_right_declined == pytest.approx(DECLINED_RIGHT, abs=0.02)
    assert found.test_wrong_declined > 2 * found.test_right_declined
    assert set(found.to_metrics()) >= {'temperature', 'min_confidence', 'test_ece'}
