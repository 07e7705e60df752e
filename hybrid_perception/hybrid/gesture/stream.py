"""H1 on a live event stream: the three stages the ROS nodes wrap, one per node.

:class:`EventWindows` cuts event packets into the model's input windows of I bins,
:class:`SpikingStage` runs the SNN head on each (the "Loihi" side) and
:class:`~.decision.DecisionStage` turns the accumulator's counts into class probabilities
(the "Jetson" side). Between them sits
:class:`~hybrid_perception.networks.accumulator.SpikeAccumulator`. Chained, they give the
trained model's per-interval outputs (tested against the batch forward);
:class:`GesturePipeline` chains them in one process for recordings (``predict``).

Windows are aligned to multiples of their length on the sensor clock, so processes that cut
the same stream agree on where intervals start without talking to each other.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from hybrid_perception.datasets.gesture_classes import NO_GESTURE
from hybrid_perception.events.array import SensorSize
from hybrid_perception.hybrid.common import DEFAULT_SNN_BACKEND, EventWindows, FittedInput, Window
from hybrid_perception.hybrid.gesture.bundle import ClassifierBundle
from hybrid_perception.hybrid.gesture.decision import DecisionStage
from hybrid_perception.networks.accumulator import SpikeAccumulator
from hybrid_perception.networks.energy import OpCounter, OpCounts

__all__ = ['GestureDecision', 'GesturePipeline', 'SpikingStage']


class SpikingStage:
    """One interval of input spikes -> the spikes the accumulator counts, (I, neurons).

    For the all-ANN baseline (no SNN) those are the input spikes themselves: the accumulator
    then makes event frames, exactly as in training.
    """

    def __init__(self, bundle: ClassifierBundle, backend: str = DEFAULT_SNN_BACKEND) -> None:
        spec = self.spec = bundle.spec
        self.bundle = bundle
        #: whether the network runs step by step, a window's bins as they come (:meth:`add_bin`):
        #: not when it plays a window's bins again, or starts each window from rest (H3)
        self.streams = spec.window_steps == spec.interval
        self.runtime = (bundle.snn_runtime(backend, window_steps=1 if self.streams else None)
                        if spec.kind != 'ann' else None)
        #: whether it runs a step ahead (the compiled runtime's ``step_ahead``): a bin's output
        #: step is computed before the bin arrives, from the bins before it
        self.ahead = self.streams and hasattr(self.runtime, 'step_ahead')
        self.counter = OpCounter(spec.snn_spec) if spec.kind != 'ann' else None
        self.reset()

    @property
    def neurons(self) -> int:
        return int(np.prod(self.spec.feature_shape))

    @property
    def device(self) -> str:
        return type(self.runtime).__name__ if self.runtime else 'none (all-ANN model)'

    def warm_up(self) -> float:
        """Run an empty window twice, bin by bin as live, and forget both: the first call's
        one-off costs (allocation, kernel selection, compilation) would otherwise land on the
        first live window. Returns the seconds the second took: what a window costs here."""
        empty = np.zeros((self.spec.interval, *self.spec.input_shape), np.float32)
        self(empty)
        started = time.perf_counter()
        self(empty)
        seconds = time.perf_counter() - started
        if self.counter:
            self.counter = OpCounter(self.counter.spec)
        self.reset()
        return seconds

    def __call__(self, spikes: np.ndarray) -> np.ndarray:
        """(I, C, H, W) -> (window_steps, neurons). A converted SNN plays the window's bins
        ``repeats`` times, and with ``from_rest`` starts from rest and runs on in silence
        until the window's last spikes are out (:meth:`~.spec.HybridSpec.play`)."""
        if not self.runtime:
            return (np.asarray(spikes) > 0).astype(np.float32).reshape(len(spikes), -1)
        if self.streams:
            steps = [self.add_bin(spikes[i:i + 1])[0] for i in range(len(spikes))]
            self.catch_up()
            return np.concatenate(steps)
        if self.spec.from_rest:
            self.runtime.reset()
        return self._run(self.spec.play(np.asarray(spikes, np.float32)), True)

    def add_bin(self, spikes: np.ndarray) -> tuple[np.ndarray, bool]:
        """The next bin (1, C, H, W) of the window -> the output steps it completes
        ((k, neurons), as :meth:`__call__` gives them) and whether the window is complete.

        A network that streams gives one step per bin, as it comes. Every layer takes its
        input one step late (Loihi's synaptic delay), so a bin's output step depends on the
        bins before it only: run a step ahead, it was computed when the bin before came in.
        The bin itself runs before this call returns, except the one that ends a window: it
        waits for the next bin (or :meth:`catch_up`), so that the caller sends the window, and
        the nodes after it run, before anything is computed (#23: the hybrid's latency; in
        one process they share a thread). When a window's last events arrive nothing is left
        to compute; the chip, fed by the sensor as it goes, is in the same place. One that
        plays windows whole gives its window_steps with the last bin. The caller gives the
        bins of whole windows (:class:`EventWindows` with ``align_us``) and calls
        :meth:`reset` when the stream starts over."""
        last = self._bins_in + 1 == self.spec.interval
        self._bins_in = 0 if last else self._bins_in + 1
        if self.ahead:
            self.catch_up()
            step = self._next
            if last:
                self._waiting = spikes
            else:
                self._next = self._run(spikes, False)
            return step, last
        if self.streams:
            return (self._run(spikes, last) if self.runtime else self(spikes)), last
        self._held.append(spikes)
        if not last:
            return np.empty((0, self.neurons), np.float32), False
        held, self._held = self._held, []
        return self(np.concatenate(held)), True

    def catch_up(self) -> None:
        """Run the bin :meth:`add_bin` left for later (a window's last, on a network a step
        ahead); the next :meth:`add_bin` does it first if nobody did."""
        if self._waiting is not None:
            self._next = self._run(self._waiting, True)
            self._waiting = None

    def _run(self, spikes: np.ndarray, ends_window: bool) -> np.ndarray:
        if not self.ahead:
            out = self.runtime.step(spikes)
            if self.counter:            # kept; counted when a total is read
                self.counter.add(self.runtime, spikes, windows=int(ends_window))
            return np.asarray(out, np.float32).reshape(len(out), -1)
        out = self.runtime.step_ahead(spikes)
        if self.counter:                # the bin with the spikes of its own step, as stepped
            self.counter.add_spikes(spikes, self._own_step, windows=int(ends_window))
        self._own_step = list(self.runtime.layer_spikes)    # the next bin's step
        return np.asarray(out, np.float32).reshape(len(out), -1)

    def ops_per_window(self) -> OpCounts | None:
        """Mean operations of one counted window on the chip (None before any)."""
        return self.counter.per_window() if self.counter else None

    def reset(self) -> None:
        """Back to rest, at a window's start (a run a step ahead has its first step ready)."""
        self._bins_in = 0                                   # bins of this window given so far
        self._held: list[np.ndarray] = []                   # those bins, if it plays whole
        self._waiting: np.ndarray | None = None             # the last, left for catch_up
        if self.runtime:
            self.runtime.reset()
        if self.ahead:                                      # the first bin's step, ready
            out = self.runtime.step_ahead(np.zeros((1, *self.spec.input_shape), np.float32))
            self._next = np.asarray(out, np.float32).reshape(len(out), -1)
            self._own_step = list(self.runtime.layer_spikes)

    def close(self) -> None:
        if self.runtime:
            self.runtime.close()


@dataclass(frozen=True)
class GestureDecision:
    """One interval's decision: the window's end on the sensor clock, the label (``none``
    when the model sees no gesture, or is less sure than ``min_confidence``, or the window held
    too little activity to decide on) and every class's probability."""

    t_us: int
    label: str
    probabilities: dict[str, float]
    activity: int  # input spikes in the window

    def to_dict(self) -> dict:
        return {'t_us': self.t_us, 'label': self.label,
                'probabilities': {k: round(v, 6) for k, v in self.probabilities.items()},
                'activity': self.activity}


class GesturePipeline:
    """The live graph's stages chained in one process, for recordings: the driver's checks,
    the fit of the sensor into the model's input, :class:`EventWindows`,
    :class:`SpikingStage`, the accumulator and :class:`DecisionStage`, with the nodes'
    defaults, so a decision here is the live graph's decision on the same stream.

    A decision is ``none`` when the model says so (its class of scenes without a gesture),
    when its top probability is below ``min_confidence`` (negative: the model's calibrated
    threshold, :class:`DecisionStage`) or when the window held fewer than ``min_activity``
    input spikes (a gate for an idle scene or a dark room, off by default).
    """

    def __init__(self, bundle: ClassifierBundle, sensor: SensorSize, *,
                 roi: tuple[int, int, int, int] | None = None, downsample: int = 0,
                 snn_backend: str = DEFAULT_SNN_BACKEND, ann_backend: str = 'onnxruntime',
                 min_activity: int = 0, min_confidence: float = -1.0,
                 max_gap_us: int = 1_000_000) -> None:
        binning = bundle.binning
        model_sensor = SensorSize(binning.sensor_width, binning.sensor_height)
        self.bundle = bundle
        self.input = FittedInput(sensor, model_sensor, roi, downsample)
        self.windows = EventWindows(model_sensor, binning.bin_us, bundle.spec.interval,
                                    binning.downsample, max_gap_us)
        self.spiking = SpikingStage(bundle, snn_backend)
        self.accumulator = SpikeAccumulator((self.spiking.neurons,),
                                             bundle.spec.window_steps)
        self.decision = DecisionStage(bundle, ann_backend, min_confidence)
        self.min_activity = min_activity

    def push(self, events: np.ndarray) -> list[GestureDecision]:
        """Events of the recording, in time order, in chunks of any size."""
        restarts = self.windows.restarts
        windows = [window for part, stamp in self.input(events)
                   for window in self.windows.push(part, stamp)]
        if self.windows.restarts != restarts:
            self.spiking.reset()
        return [d for window in windows for d in self._decide(window)]

    def _decide(self, window: Window) -> list[GestureDecision]:
        activity = int(np.count_nonzero(window.spikes))
        decisions = []
        for counts in self.accumulator.push(self.spiking(window.spikes) > 0):
            probabilities = self.decision(counts)
            names = self.bundle.spec.classes
            label = self.decision.label(probabilities, names) \
                if activity >= self.min_activity else NO_GESTURE
            decisions.append(GestureDecision(window.end_us, label, dict(zip(
                names, map(float, probabilities), strict=True)), activity))
        return decisions

    def close(self) -> None:
        self.spiking.close()
