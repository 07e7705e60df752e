"""How far an H1 model's probabilities can be trusted, and the confidence below which the live
graph declines to name a gesture.

Each decision the live graph publishes is one interval's softmax. Trained by cross-entropy, a
network is usually over-confident (the first H1 models said ``hand_clapping (0.99)`` on pure
noise, #22); one temperature fitted on the validation subjects' interval logits (Guo et al.
2017, "On Calibration of Modern Neural Networks") makes the probabilities mean what they say,
and the expected calibration error (ECE: the gap between confidence and accuracy, averaged
over equal-width confidence bins) says how well. ``min_confidence`` is then read off the same
validation decisions: the calibrated confidence below which only ``DECLINED_RIGHT`` of the
right decisions fall, so declining below it costs little and removes the uncertain guesses
(the ones off the training data among them).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hybrid_perception.networks.ann.runtime import softmax

__all__ = ['Calibration', 'calibrate', 'expected_calibration_error', 'fit_temperature']

ECE_BINS = 15
DECLINED_RIGHT = 0.05   # share of right validation decisions min_confidence gives up


def expected_calibration_error(probabilities: np.ndarray, labels: np.ndarray,
                               bins: int = ECE_BINS) -> float:
    """ECE of (N, classes) probabilities against (N,) labels: sum over confidence bins of
    (share of decisions in the bin) x |accuracy - mean confidence| in it."""
    confidence = probabilities.max(axis=1)
    right = probabilities.argmax(axis=1) == labels
    which = np.minimum((confidence * bins).astype(np.int64), bins - 1)
    total = 0.0
    for b in np.unique(which):
        inside = which == b
        total += inside.mean() * abs(right[inside].mean() - confidence[inside].mean())
    return float(total)


def _decisions(logits: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every interval a decision of its clip's label."""
    return logits.reshape(-1, logits.shape[-1]), np.repeat(labels, logits.shape[1])


def _nll(logits: np.ndarray, labels: np.ndarray, temperature: float) -> float:
    scaled = logits / temperature
    scaled = scaled - scaled.max(axis=1, keepdims=True)
    log_z = np.log(np.exp(scaled).sum(axis=1))
    return float(np.mean(log_z - scaled[np.arange(len(labels)), labels]))


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    """The temperature (0.05-20) minimising the validation negative log-likelihood: a grid in
    log T, then a golden-section refinement around its best point (the NLL is convex in 1/T)."""
    grid = np.exp(np.linspace(np.log(0.05), np.log(20.0), 61))
    best = int(np.argmin([_nll(logits, labels, t) for t in grid]))
    low, high = np.log(grid[max(best - 1, 0)]), np.log(grid[min(best + 1, len(grid) - 1)])
    ratio = (np.sqrt(5) - 1) / 2
    for _ in range(40):
        a, b = high - ratio * (high - low), low + ratio * (high - low)
        if _nll(logits, labels, np.exp(a)) < _nll(logits, labels, np.exp(b)):
            high = b
        else:
            low = a
    return float(np.exp((low + high) / 2))


@dataclass(frozen=True)
class Calibration:
    """What :func:`calibrate` found, as stored in a model's metrics."""

    temperature: float
    min_confidence: float
    val_ece: float           # before scaling
    val_ece_calibrated: float
    test_ece: float
    test_ece_calibrated: float
    test_right_declined: float   # share of right test decisions below min_confidence
    test_wrong_declined: float   # share of wrong ones

    def to_metrics(self) -> dict[str, float]:
        return {name: round(float(value), 6) for name, value in self.__dict__.items()}


def calibrate(val: tuple[np.ndarray, np.ndarray],
              test: tuple[np.ndarray, np.ndarray]) -> Calibration:
    """From the validation and test clips' streamed interval logits (N, intervals, classes)
    and labels (N,) (:func:`~.model.streamed`): the temperature and threshold from
    validation, their effect on every test decision."""
    val, test = _decisions(*val), _decisions(*test)
    temperature = fit_temperature(*val)

    def probabilities(logits: np.ndarray, t: float = 1.0) -> np.ndarray:
        return softmax(logits.astype(np.float64) / t)

    val_p = probabilities(val[0], temperature)
    val_right = val_p.argmax(axis=1) == val[1]
    threshold = float(np.quantile(val_p.max(axis=1)[val_right], DECLINED_RIGHT)) \
        if val_right.any() else 0.0
    test_p = probabilities(test[0], temperature)
    right = test_p.argmax(axis=1) == test[1]
    declined = test_p.max(axis=1) < threshold
    return Calibration(
        temperature, threshold,
        expected_calibration_error(probabilities(val[0]), val[1]),
        expected_calibration_error(val_p, val[1]),
        expected_calibration_error(probabilities(test[0]), test[1]),
        expected_calibration_error(test_p, test[1]),
        float(declined[right].mean()) if right.any() else 0.0,
        float(declined[~right].mean()) if (~right).any() else 0.0)
