"""Scoring H2 and its baselines on whole takes, each view a stream, as the live graph runs them.

Three models see the same steps: the hybrid (the ANN sets the SNN's state and pose at every
window start, the SNN steps in between), the ANN run at the SNN's rate (a histogram of the last
100 ms at every step's end) and the SNN alone (never initialized; it runs from the stream's
start, so it is warm). The first window of a take is the ANN's history, so scoring starts at
the second. 2D errors are in sensor pixels; 3D errors triangulate both views' 2D poses.

Power is a model estimate from counted work: the ANN's MACs on a Jetson (board power x time at
an assumed utilisation), the SNN's synaptic operations, neuron updates and spikes on Loihi.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
from tqdm import tqdm

from hybrid_perception.datasets.people import PoseTake
from hybrid_perception.errors import HybridPerceptionError
from hybrid_perception.geometry.cameras import Camera, triangulate
from hybrid_perception.geometry.joints import mpjpe
from hybrid_perception.hybrid.common import latency_summary
from hybrid_perception.hybrid.pose.model import StateInitializer
from hybrid_perception.hybrid.pose.spec import PoseSpec
from hybrid_perception.hybrid.pose.tracker import PoseInitializer, PoseTracker
from hybrid_perception.hybrid.pose.windows import PoseWindows, pose_at
from hybrid_perception.networks.energy import EnergyModel
from hybrid_perception.networks.energy.operations import OpCounts, count_macs

__all__ = ['MODELS', 'LiveTrack', 'PoseScores', 'pose_power', 'score_live', 'score_takes',
           'scored_steps', 'track_take']

MODELS = ('hybrid', 'ann', 'snn')
JETSON, LOIHI = 'jetson_orin_nano', 'loihi'


@dataclass
class PoseScores:
    """Predictions and truth of every scored step of every take, and the SNNs' counted work."""

    spec: PoseSpec
    predicted: dict[str, list[np.ndarray]] = field(
        default_factory=lambda: {m: [] for m in MODELS})
    truth: list[np.ndarray] = field(default_factory=list)        # (V, S, joints, 2) a take
    truth_3d: list[np.ndarray] = field(default_factory=list)     # (S, joints, 3) metres
    snn_ops_per_step: dict[str, OpCounts] = field(default_factory=dict)   # hybrid, snn

    def errors_2d(self, model: str) -> np.ndarray:
        """(takes x views x steps, joints) pixel distances."""
        return np.concatenate([np.linalg.norm(p - t, axis=-1).reshape(-1, p.shape[-2])
                               for p, t in zip(self.predicted[model], self.truth, strict=True)])

    def mpjpe_2d(self, model: str) -> float:
        return mpjpe(np.concatenate([p.reshape(-1, 2) for p in self.predicted[model]]),
                     np.concatenate([t.reshape(-1, 2) for t in self.truth]))

    def mpjpe_3d_mm(self, model: str, cameras: list[Camera]) -> float:
        points = [triangulate(cameras, list(p)) for p in self.predicted[model]]
        return 1000 * mpjpe(np.concatenate(points).reshape(-1, 3),
                            np.concatenate(self.truth_3d).reshape(-1, 3))

    def error_by_step(self, model: str) -> list[float]:
        """2D error at each step of an initialization window (the seed's figure)."""
        steps = self.spec.windows.steps
        columns = []
        for p, t in zip(self.predicted[model], self.truth, strict=True):
            distances = np.linalg.norm(p - t, axis=-1)                  # (V, S, joints)
            columns.append(distances.reshape(len(distances), -1, steps, distances.shape[-1])
                           .transpose(2, 0, 1, 3).reshape(steps, -1))
        return np.concatenate(columns, axis=1).mean(1).tolist()

    def ops_per_step(self, model: str) -> OpCounts:
        """Mean operations of one SNN step (none counted: a runtime that does not record its
        layers' spikes, like Lava)."""
        return self.snn_ops_per_step.get(model) or OpCounts()


def track_take(take: PoseTake, initializer: PoseInitializer, hybrid: PoseTracker,
               alone: PoseTracker, scores: PoseScores) -> None:
    """Run every model over every view of ``take`` and add its steps to ``scores``."""
    windows: PoseWindows = scores.spec.windows
    starts = np.arange(windows.window_us, int(take.label_us[-1]) - windows.window_us + 1,
                       windows.window_us)
    ends = (starts[:, None] + windows.step_us * np.arange(1, windows.steps + 1)).ravel()
    predicted = {m: [] for m in MODELS}
    for events in take.events:
        # both SNNs run from the stream's start; the first window only warms them up
        for tracker in (hybrid, alone):
            tracker.reset()
            tracker.step(windows.snn_input(events, 0))
        steps = {'hybrid': [], 'snn': []}
        for start in starts:
            spikes = windows.snn_input(events, int(start))
            hybrid.initialize(initializer(windows.ann_input(events, int(start))))
            for model, tracker in (('hybrid', hybrid), ('snn', alone)):
                steps[model].append(tracker.step(spikes))
        predicted['hybrid'].append(np.concatenate(steps['hybrid']))
        predicted['snn'].append(np.concatenate(steps['snn']))
        predicted['ann'].append(initializer.poses(
            np.stack([windows.ann_input(events, int(end)) for end in ends])))
    for model in MODELS:
        scores.predicted[model].append(np.stack(predicted[model]))
    scores.truth.append(np.stack([pose_at(take.label_us, joints, ends)
                                  for joints in take.joints_2d]))
    scores.truth_3d.append(pose_at(take.label_us, take.joints_3d, ends))


def score_takes(takes: list[PoseTake], initializer: PoseInitializer, hybrid: PoseTracker,
                alone: PoseTracker, *, progress: bool = False) -> PoseScores:
    scores = PoseScores(initializer.spec)
    for take in tqdm(takes, desc='tracking test takes', unit='take', disable=not progress):
        track_take(take, initializer, hybrid, alone, scores)
    scores.snn_ops_per_step = {m: t.counter.per_step() for m, t in (('hybrid', hybrid),
                                                                     ('snn', alone))
                               if t.counter.per_step()}
    return scores


def pose_power(model: StateInitializer, spec: PoseSpec, ops_per_step: dict[str, OpCounts],
               rate_hz: float | None = None) -> dict[str, dict]:
    """Estimated power of each model at ``rate_hz`` SNN steps a second (default: the spec's):
    the ANN's work is priced on a Jetson, the SNN's on Loihi. Every figure is an ESTIMATE and
    carries its coefficients and their source. ``ops_per_step`` holds the hybrid's and the
    SNN alone's mean counted work of one step (see :meth:`PoseScores.ops_per_step`)."""
    rate = rate_hz or spec.windows.rate_hz
    windows_per_s = 1e6 / spec.windows.window_us
    example = torch.zeros(1, *spec.ann_input_shape)
    ann_macs = count_macs(model, example).total
    init_macs = count_macs(model, example, model.initialize).total
    jetson, loihi = EnergyModel(JETSON), EnergyModel(LOIHI)

    def board(macs: float, per_s: float):
        return jetson.estimate(OpCounts(mac=macs)), per_s

    def chip(ops: OpCounts, per_s: float):
        return loihi.estimate(ops), per_s

    parts = {'ann': [board(ann_macs, rate)],
             'hybrid': [board(init_macs, windows_per_s),
                        chip(ops_per_step['hybrid'], rate)],
             'snn': [chip(ops_per_step['snn'], rate)]}
    out = {}
    for name, terms in parts.items():
        watts = sum(estimate.joules * per_s for estimate, per_s in terms)
        out[name] = {'power_w': watts, 'energy_mj_per_s': watts * 1e3,
                     'estimate': [f'{per_s:g}/s x {estimate}' for estimate, per_s in terms]}
    out['ann']['macs_per_inference'] = ann_macs
    out['hybrid']['macs_per_initialization'] = init_macs
    for name in ('hybrid', 'snn'):
        out[name]['snn_ops_per_step'] = ops_per_step[name].as_dict()
    return out


def scored_steps(truth, windows: PoseWindows) -> list[tuple[slice, np.ndarray]]:
    """Per take of a pose bag (a :class:`~hybrid_perception.datasets.pose_bag.PoseTruth`), its
    labels and the step ends (µs) to score: from the first window boundary with a whole window
    of the take behind it (the initializer's history; until then the graph still sees the take
    before) to the take's last label. A take starts where the subject or movement changes."""
    label_us = truth.label_us
    names = list(zip(truth.subjects, truth.movements, strict=True))
    starts = [0] + [i for i in range(1, len(names)) if names[i] != names[i - 1]]
    out = []
    for start, stop in zip(starts, starts[1:] + [len(names)], strict=True):
        first = -(-(int(label_us[start]) + windows.window_us) // windows.window_us) \
            * windows.window_us
        ends = np.arange(first + windows.step_us, int(label_us[stop - 1]) + 1, windows.step_us)
        if len(ends):
            out.append((slice(start, stop), ends))
    return out


@dataclass
class LiveTrack:
    """One model's replay: each camera's 2D poses and the 3D ones by stamp, their latencies
    (s), and the SNN's counted work per step (empty without an SNN, or on Lava)."""

    poses_2d: dict          # camera -> {stamp: (J, 2)}
    poses_3d: dict          # stamp -> (J, 3) world metres
    latency_2d_s: list
    latency_3d_s: list
    ops_per_step: OpCounts


def score_live(truth, track: LiveTrack, windows: PoseWindows) -> dict:
    """2D and 3D errors of one live run at every scored step (see :func:`scored_steps`), the
    error at each step of an initialization window, and the share of steps that came back."""
    errors, errors_3d, positions, expected = [], [], [], 0
    for labels, ends in scored_steps(truth, windows):
        expected += len(ends) * len(track.poses_2d)
        for camera, poses in track.poses_2d.items():
            got = [e for e in ends if e in poses]
            if got:
                true = pose_at(truth.label_us[labels], truth.joints_2d[camera][labels], got)
                errors.append(np.linalg.norm(np.stack([poses[e][:, :2] for e in got]) - true,
                                             axis=-1))
                positions.append((np.asarray(got) // windows.step_us - 1) % windows.steps)
        got = [e for e in ends if e in track.poses_3d]
        if got:
            true = pose_at(truth.label_us[labels], truth.joints_3d[labels], got)
            errors_3d.append((np.stack([track.poses_3d[e] for e in got]), true))
    if not errors:
        raise HybridPerceptionError('the graph returned no pose at any scored step')
    distances, positions = np.concatenate(errors), np.concatenate(positions)
    by_step = [float(distances[positions == k].mean()) if (positions == k).any() else None
               for k in range(windows.steps)]
    mm = (1000 * mpjpe(np.concatenate([p for p, _ in errors_3d]),
                       np.concatenate([t for _, t in errors_3d])) if errors_3d
          else float('nan'))
    return {'summary': {'mpjpe_2d_px': float(np.nanmean(distances)), 'mpjpe_3d_mm': mm,
                        'latency_ms': latency_summary(track.latency_2d_s),
                        'latency_3d_ms': latency_summary(track.latency_3d_s),
                        'steps_returned': len(distances) / max(1, expected)},
            'error_by_step_px': by_step}
