"""H2 on a live event stream: what the two pose nodes do between messages.

:class:`EventHistory` gives the initializer the events before every window boundary on the
sensor clock; :class:`PoseStepper` steps the SNN one bin at a time and applies each
initialization at the boundary it was made for, waiting a bounded number of steps for it, so
the live graph computes what the offline evaluation computes (tested against it);
:class:`PosePipeline` chains both nodes' stages in one process for recordings (``predict``).
Every pose comes with each joint's confidence (:mod:`.evidence`).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np

from hybrid_perception.events.array import SensorSize, concatenate, empty_events
from hybrid_perception.hybrid.common import (
    DEFAULT_SNN_BACKEND,
    EventWindows,
    FittedInput,
    Window,
    between_silences,
)
from hybrid_perception.hybrid.pose.evidence import JointEvidence
from hybrid_perception.hybrid.pose.tracker import Initialization, PoseTracker

__all__ = ['EventHistory', 'PosePipeline', 'PosePrediction', 'PoseStepper']


@dataclass
class EventHistory:
    """Event packets -> every multiple of ``period_us`` the stream passes, with the events of
    the ``keep_us`` before it. The first boundary is the first with a whole history behind it;
    a silence longer than ``max_gap_us``, or time going back by more (a new stream), starts
    over (:attr:`restarts`)."""

    period_us: int
    keep_us: int
    max_gap_us: int = 1_000_000
    restarts: int = field(default=0, init=False)
    _next: int | None = field(default=None, init=False)
    _events: list[np.ndarray] = field(default_factory=list, init=False)

    def push(self, events: np.ndarray, stamp_us: int) -> list[tuple[int, np.ndarray]]:
        """Add one packet (events in time order, none before ``stamp_us``)."""
        return [out for piece, stamp in between_silences(events, stamp_us, self.max_gap_us)
                for out in self._push(piece, stamp)]

    def _push(self, events: np.ndarray, stamp_us: int) -> list[tuple[int, np.ndarray]]:
        horizon = max(stamp_us, int(events['timestamp'][-1]) if events.size else stamp_us)
        if (self._next is None or horizon - self._next > self.max_gap_us + self.period_us
                or horizon < self._next - self.keep_us - self.max_gap_us):
            if self._next is not None:
                self.restarts += 1
            first = min(stamp_us, horizon) + self.keep_us
            self._next = -(-first // self.period_us) * self.period_us
            self._events = []
        self._events.append(events)
        out = []
        while horizon >= self._next:
            stream = concatenate(self._events) if self._events else empty_events()
            t = stream['timestamp']
            out.append((self._next, stream[(t >= self._next - self.keep_us) & (t < self._next)]))
            self._next += self.period_us
            self._events = [stream[t >= self._next - self.keep_us]]
        return out


Step = tuple[int, np.ndarray, np.ndarray]   # end µs, pose (joints, 2) pixels, confidence


@dataclass
class PoseStepper:
    """Steps ``tracker`` one step window at a time; at every window boundary the
    initialization stamped with it is written first. Steps wait for a missing one at most
    ``wait_steps`` steps, then run on without it (:attr:`missed`). Each step's spikes also
    feed :attr:`evidence`, which scores the step's joints.

    ``anchored`` (the hybrid): no pose comes out before the first initialization since the
    start or a reset; the readout has nothing to integrate from until the ANN gives a pose
    (it would draw the skeleton at the sensor's corner, and did, #22). The SNN alone starts
    from rest and gives a pose every step."""

    tracker: PoseTracker
    window_us: int
    wait_steps: int
    anchored: bool = False
    initialized: int = field(default=0, init=False)
    missed: int = field(default=0, init=False)    # boundaries run without one (after the first)
    stale: int = field(default=0, init=False)     # initializations that came too late
    evidence: JointEvidence = field(init=False)
    _steps: deque = field(default_factory=deque, init=False)
    _pending: dict[int, Initialization] = field(default_factory=dict, init=False)
    _has_pose: bool = field(default=False, init=False)   # initialized since the last reset

    def __post_init__(self) -> None:
        windows = self.tracker.spec.windows
        self.evidence = JointEvidence(windows.sensor, windows.downsample)

    def initialize(self, stamp_us: int, initialization: Initialization) -> list[Step]:
        self._pending[stamp_us] = initialization
        return self._drain()

    def push(self, window: Window) -> list[Step]:
        """Queue one step; returns (end µs, pose (joints, 2) pixels, confidence (joints,)) of
        every step run."""
        self._steps.append(window)
        return self._drain()

    def reset(self) -> None:
        self.tracker.reset()
        self.evidence.reset()
        self._steps.clear()
        self._pending.clear()
        self._has_pose = False

    def _drain(self) -> list[Step]:
        out = []
        while self._steps:
            window = self._steps[0]
            for stamp in [s for s in self._pending if s < window.start_us]:
                del self._pending[stamp]
                self.stale += 1
            if window.start_us % self.window_us == 0:
                if window.start_us in self._pending:
                    self.tracker.initialize(self._pending.pop(window.start_us))
                    self.initialized += 1
                    self._has_pose = True
                elif len(self._steps) <= self.wait_steps:
                    break
                elif self.initialized:  # before the first, the initializer has no history yet
                    self.missed += 1
            self._steps.popleft()
            pose = self.tracker.step(window.spikes)[-1]
            self.evidence.add(window.spikes, window.end_us - window.start_us)
            if self._has_pose or not self.anchored:
                out.append((window.end_us, pose, self.evidence(pose)))
        return out


@dataclass(frozen=True)
class PosePrediction:
    """One SNN step's pose: the step's end on the sensor clock, joints (J, 2) in the
    recording's pixels (DHP19's joint order) and how much the events back each (J,)."""

    t_us: int
    joints: np.ndarray
    confidence: np.ndarray

    def to_dict(self) -> dict:
        return {'t_us': self.t_us, 'joints': np.round(self.joints, 3).tolist(),
                'confidence': np.round(self.confidence, 3).tolist()}


class PosePipeline:
    """The live pair's stages chained in one process, for recordings: the driver's checks, the
    fit of the sensor into the model's input, ``state_initializer_node`` (:class:`EventHistory`
    and the ANN, once per SNN window) and ``pose_snn_node`` (:class:`EventWindows` of one step
    and :class:`PoseStepper`), with the nodes' defaults: the poses the live pair publishes.

    Each chunk's initializations run before its steps, so no step waits for one.
    """

    def __init__(self, bundle, sensor: SensorSize, *,
                 roi: tuple[int, int, int, int] | None = None, downsample: int = 0,
                 snn: str = 'hybrid', snn_backend: str = DEFAULT_SNN_BACKEND,
                 ann_backend: str = 'onnxruntime', max_gap_us: int = 1_000_000) -> None:
        windows = bundle.spec.windows
        self.windows = windows
        crop = bundle.spec.camera_crop
        self.input = FittedInput(sensor, windows.sensor,
                                 roi or (crop.roi_for(sensor) if crop else None), downsample)
        self.initializer = bundle.pose_initializer(ann_backend) if snn == 'hybrid' else None
        self.history = EventHistory(windows.window_us, windows.window_us, max_gap_us)
        self.stepper = PoseStepper(bundle.tracker(snn, snn_backend), windows.window_us, 0,
                                   anchored=snn == 'hybrid')
        self.steps = EventWindows(windows.sensor, windows.step_us, 1, windows.downsample,
                                  max_gap_us)

    def push(self, events: np.ndarray) -> list[PosePrediction]:
        """Events of the recording, in time order, in chunks of any size."""
        poses = []
        for part, stamp in self.input(events):
            if self.initializer is not None:
                for boundary, before in self.history.push(part, stamp):
                    poses += self.stepper.initialize(boundary, self.initializer(
                        self.windows.ann_input(before, boundary)))
            restarts = self.steps.restarts
            steps = self.steps.push(part, stamp)
            if self.steps.restarts != restarts:
                self.stepper.reset()
            for window in steps:
                poses += self.stepper.push(window)
        return [PosePrediction(end, self.input.fit.to_camera(pose), confidence)
                for end, pose, confidence in poses]

    def close(self) -> None:
        self.stepper.tracker.runtime.close()
