"""H1's "Jetson" side on a live stream: one interval's spike counts -> class probabilities,
through the ANN tail (onnxruntime or torch) or, for an all-SNN model, its spike-count readout.

Apart from the SNN side (:mod:`.stream`) because it runs without torch on onnxruntime, and
``ann_node`` then starts without importing it.
"""

from __future__ import annotations

import numpy as np

from hybrid_perception.datasets.gesture_classes import NO_GESTURE
from hybrid_perception.errors import HybridPerceptionError
from hybrid_perception.hybrid.gesture.bundle import ClassifierBundle
from hybrid_perception.hybrid.gesture.spec import READOUT_GAIN

__all__ = ['DecisionStage']


class DecisionStage:
    """One interval's spike counts -> class probabilities (the ANN tail, or the SNN readout),
    at the model's calibrated temperature (:mod:`.calibration`; 1 for a model without one).

    ``min_confidence``: a top probability below it is no gesture (:meth:`label`); negative
    takes the model's calibrated threshold (0, none, for a model without one)."""

    def __init__(self, bundle: ClassifierBundle, backend: str = 'onnxruntime',
                 min_confidence: float = -1.0) -> None:
        self.spec = bundle.spec
        self.runtime = bundle.ann_runtime(backend) if bundle.spec.kind != 'snn' else None
        self.bundle = bundle
        self.min_confidence = float(bundle.metrics.get('min_confidence', 0.0)) \
            if min_confidence < 0 else min_confidence

    @property
    def device(self) -> str:
        return self.runtime.device if self.runtime else 'none (all-SNN readout)'

    def warm_up(self) -> None:
        """One decision on zeros, so the first live one does not pay the start-up costs."""
        self(np.zeros(self.spec.feature_shape, np.float32))

    def __call__(self, counts: np.ndarray) -> np.ndarray:
        shape = tuple(self.spec.feature_shape)
        if np.size(counts) != int(np.prod(shape)):
            raise HybridPerceptionError(f'features must hold {int(np.prod(shape))} values '
                                        f'(shape {shape}), got {np.shape(counts)}')
        counts = np.asarray(counts, np.float32).reshape(1, *shape)
        if self.runtime is None:
            logits = counts * (READOUT_GAIN / self.spec.window_steps)
        else:
            logits = self.runtime(counts)
        return self.bundle.probabilities(np.asarray(logits)[0])

    def label(self, probabilities: np.ndarray, names: tuple[str, ...]) -> str:
        """The most likely class's name; ``none`` below ``min_confidence``, or when no class
        is more likely than another (an all-SNN model whose output neurons did not spike)."""
        best = int(probabilities.argmax())
        decided = probabilities[best] >= self.min_confidence and \
            probabilities[best] > probabilities.min()
        return names[best] if decided else NO_GESTURE
