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

from dataclasses import dataclass, field

import numpy as np
import torch

from hybrid_perception.errors import HybridPerceptionError
from hybrid_perception.events.array import SensorSize, concatenate, empty_events
from hybrid_perception.events.representations import to_spike_tensor
from hybrid_perception.hybrid.gesture.bundle import ClassifierBundle
from hybrid_perception.hybrid.gesture.model import READOUT_GAIN
from hybrid_perception.networks.energy import OpCounter, OpCounts

__all__ = ['DecisionStage', 'EventWindows', 'SpikingStage', 'Window']


@dataclass(frozen=True)
class Window:
    start_us: int
    end_us: int
    spikes: np.ndarray   # (I, C, H, W) binary input spikes


@dataclass
class EventWindows:
    """Event packets -> complete input windows of ``n_bins`` bins of ``bin_us``.

    A window is complete once the stream has moved past its end (an event or packet stamp at
    or after it): packets arrive in time order, so nothing more can land in it. A silence
    longer than ``max_gap_us`` is not filled with empty windows; the stream restarts after
    it and :attr:`restarts` counts it, so the caller can reset the state it keeps.
    """

    sensor: SensorSize
    bin_us: int
    n_bins: int
    downsample: int = 1
    max_gap_us: int = 1_000_000
    restarts: int = field(default=0, init=False)
    late_events: int = field(default=0, init=False)
    _start: int | None = field(default=None, init=False)
    _pending: list[np.ndarray] = field(default_factory=list, init=False)

    @property
    def window_us(self) -> int:
        return self.bin_us * self.n_bins

    def push(self, events: np.ndarray, stamp_us: int) -> list[Window]:
        """Add one packet (events in time order, none before ``stamp_us``)."""
        horizon = max(stamp_us, int(events['timestamp'][-1]) if events.size else stamp_us)
        if self._start is None or horizon - self._start > self.max_gap_us + self.window_us:
            if self._start is not None:
                self.restarts += 1
            self._start = min(stamp_us, horizon) // self.window_us * self.window_us
            self._pending = []
        late = events['timestamp'] < self._start
        if late.any():
            self.late_events += int(late.sum())
            events = events[~late]
        self._pending.append(events)
        windows = []
        while horizon >= self._start + self.window_us:
            windows.append(self._cut())
        return windows

    def _cut(self) -> Window:
        stream = concatenate(self._pending) if self._pending else empty_events()
        end = self._start + self.window_us
        split = int(np.searchsorted(stream['timestamp'], end, side='left'))
        spikes = to_spike_tensor(stream[:split], self.sensor, t_start_us=self._start,
                                 bin_us=self.bin_us, n_bins=self.n_bins,
                                 downsample=self.downsample, binary=True)
        window = Window(self._start, end, spikes)
        self._pending = [stream[split:]]
        self._start = end
        return window


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
