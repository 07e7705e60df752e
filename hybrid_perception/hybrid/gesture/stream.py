"""H1 on a live event stream: the three stages the ROS nodes wrap, one per node.

:class:`EventWindows` cuts event packets into the model's input windows of I bins,
:class:`SpikingStage` runs the SNN head on each (the "Loihi" side) and
:class:`DecisionStage` turns the accumulator's counts into class probabilities (the "Jetson"
side). Between them sits :class:`~hybrid_perception.networks.accumulator.SpikeAccumulator`. Chained,
they give the trained model's per-interval outputs (tested against the batch forward).

Windows are aligned to multiples of their length on the sensor clock, so processes that cut
the same stream agree on where intervals start without talking to each other.
"""

from __future__ import annotations

import numpy as np
import torch

from hybrid_perception.errors import HybridPerceptionError
from hybrid_perception.hybrid.gesture.bundle import ClassifierBundle
from hybrid_perception.hybrid.gesture.model import READOUT_GAIN
from hybrid_perception.networks.energy import OpCounter, OpCounts

__all__ = ['DecisionStage', 'SpikingStage']


class SpikingStage:
    """One interval of input spikes -> the spikes the accumulator counts, (I, neurons).

    For the all-ANN baseline (no SNN) those are the input spikes themselves: the accumulator
    then makes event frames, exactly as in training.
    """

    def __init__(self, bundle: ClassifierBundle, backend: str = 'torch', *,
                 count_ops: bool = False) -> None:
        self.bundle = bundle
        self.runtime = bundle.snn_runtime(backend) if bundle.spec.kind != 'ann' else None
        self.count_ops = count_ops
        self.counter = OpCounter(bundle.spec.snn_spec) if bundle.spec.kind != 'ann' else None

    @property
    def neurons(self) -> int:
        return int(np.prod(self.bundle.spec.feature_shape))

    @property
    def device(self) -> str:
        return type(self.runtime).__name__ if self.runtime else 'none (all-ANN model)'

    def warm_up(self) -> None:
        """Run one empty window and forget it: the first call's one-off costs (allocation,
        kernel selection) would otherwise land on the first live window."""
        self(np.zeros((self.bundle.spec.interval, *self.bundle.spec.input_shape), np.float32))
        self.reset()
        if self.counter:
            self.counter = OpCounter(self.counter.spec)

    def __call__(self, spikes: np.ndarray) -> np.ndarray:
        out = self.runtime.step(spikes) if self.runtime else (np.asarray(spikes) > 0)
        if self.count_ops and self.counter:
            self.counter.add(self.runtime, spikes)
        return np.asarray(out, np.float32).reshape(len(out), -1)

    def ops_per_window(self) -> OpCounts | None:
        """Mean operations of one window on the chip (with ``count_ops``; None before any)."""
        return self.counter.per_window() if self.counter else None

    def reset(self) -> None:
        if self.runtime:
            self.runtime.reset()

    def close(self) -> None:
        if self.runtime:
            self.runtime.close()


class DecisionStage:
    """One interval's spike counts -> class probabilities (the ANN tail, or the SNN readout)."""

    def __init__(self, bundle: ClassifierBundle, backend: str = 'onnxruntime') -> None:
        self.spec = bundle.spec
        self.runtime = bundle.ann_runtime(backend) if bundle.spec.kind != 'snn' else None

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
            logits = counts * (READOUT_GAIN / self.spec.interval)
        else:
            logits = self.runtime(counts)
        return torch.from_numpy(np.asarray(logits, np.float32)).softmax(-1)[0].numpy()
