"""Scoring H2 and its baselines on whole takes, each view a stream, as the live graph runs them.

Three models see the same steps: the hybrid (the ANN sets the SNN's state and pose at every
window start, the SNN steps in between), the ANN run at the SNN's rate (a histogram of the last
100 ms at every step's end) and the SNN alone (never initialised; it runs from the stream's
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

from ..energy import EnergyModel
from ..energy.operations import OpCounts, count_macs, count_snn_ops
from ..events.people import PoseTake
from ..events.pose_windows import PoseWindows, pose_at
from ..pose.cameras import Camera, triangulate
from ..pose.joints import mpjpe
from .pose import PoseSpec, StateInitialiser
from .pose_tracker import PoseInitialiser, PoseTracker

__all__ = ['MODELS', 'PoseScores', 'pose_power', 'score_takes', 'track_take']

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
    snn_ops: dict[str, OpCounts] = field(default_factory=lambda: {'hybrid': OpCounts(),
                                                                  'snn': OpCounts()})
    snn_steps: dict[str, int] = field(default_factory=lambda: {'hybrid': 0, 'snn': 0})

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
        """2D error at each step of an initialisation window (the seed's figure)."""
        steps = self.spec.windows.steps
        columns = []
        for p, t in zip(self.predicted[model], self.truth, strict=True):
            distances = np.linalg.norm(p - t, axis=-1)                  # (V, S, joints)
            columns.append(distances.reshape(len(distances), -1, steps, distances.shape[-1])
                           .transpose(2, 0, 1, 3).reshape(steps, -1))
        return np.concatenate(columns, axis=1).mean(1).tolist()

    def ops_per_step(self, model: str) -> OpCounts:
        return self.snn_ops[model].scaled(1 / max(1, self.snn_steps[model]))


def track_take(take: PoseTake, initialiser: PoseInitialiser, hybrid: PoseTracker,
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
            hybrid.initialise(initialiser(windows.ann_input(events, int(start))))
            for model, tracker in (('hybrid', hybrid), ('snn', alone)):
                steps[model].append(tracker.step(spikes))
                _count(scores, model, tracker, spikes)
        predicted['hybrid'].append(np.concatenate(steps['hybrid']))
        predicted['snn'].append(np.concatenate(steps['snn']))
        predicted['ann'].append(initialiser.poses(
            np.stack([windows.ann_input(events, int(end)) for end in ends])))
    for model in MODELS:
        scores.predicted[model].append(np.stack(predicted[model]))
    scores.truth.append(np.stack([pose_at(take.label_us, joints, ends)
                                  for joints in take.joints_2d]))
    scores.truth_3d.append(pose_at(take.label_us, take.joints_3d, ends))


def _count(scores: PoseScores, model: str, tracker: PoseTracker, spikes: np.ndarray) -> None:
    """The runtime's activity of the last window, if it records it (the torch one does)."""
    layer_spikes = getattr(tracker.runtime, 'layer_spikes', None)
    if layer_spikes:
        scores.snn_ops[model] += count_snn_ops(scores.spec.snn, spikes, layer_spikes)
        scores.snn_steps[model] += len(spikes)


def score_takes(takes: list[PoseTake], initialiser: PoseInitialiser, hybrid: PoseTracker,
                alone: PoseTracker, *, progress: bool = False) -> PoseScores:
    scores = PoseScores(initialiser.spec)
    for take in tqdm(takes, desc='tracking test takes', unit='take', disable=not progress):
        track_take(take, initialiser, hybrid, alone, scores)
    return scores


def pose_power(model: StateInitialiser, scores: PoseScores, rate_hz: float | None = None
               ) -> dict[str, dict]:
    """Estimated power of each model at ``rate_hz`` SNN steps a second (default: the spec's):
    the ANN's work is priced on a Jetson, the SNN's on Loihi. Every figure is an ESTIMATE and
    carries its coefficients and their source."""
    spec = scores.spec
    rate = rate_hz or spec.windows.rate_hz
    windows_per_s = 1e6 / spec.windows.window_us
    example = torch.zeros(1, *spec.ann_input_shape)
    ann_macs = count_macs(model, example).total
    init_macs = count_macs(model, example, model.initialise).total
    jetson, loihi = EnergyModel(JETSON), EnergyModel(LOIHI)

    def board(macs: float, per_s: float):
        return jetson.estimate(OpCounts(mac=macs)), per_s

    def chip(ops: OpCounts, per_s: float):
        return loihi.estimate(ops), per_s

    parts = {'ann': [board(ann_macs, rate)],
             'hybrid': [board(init_macs, windows_per_s),
                        chip(scores.ops_per_step('hybrid'), rate)],
             'snn': [chip(scores.ops_per_step('snn'), rate)]}
    out = {}
    for name, terms in parts.items():
        watts = sum(estimate.joules * per_s for estimate, per_s in terms)
        out[name] = {'power_w': watts, 'energy_mj_per_s': watts * 1e3,
                     'estimate': [f'{per_s:g}/s x {estimate}' for estimate, per_s in terms]}
    out['ann']['macs_per_inference'] = ann_macs
    out['hybrid']['macs_per_initialisation'] = init_macs
    for name in ('hybrid', 'snn'):
        out[name]['snn_ops_per_step'] = scores.ops_per_step(name).as_dict()
    return out
