"""Scoring a live run of an H1 model against ground truth: accuracy, latency, energy.

A gesture's prediction is the mean of the probabilities of the intervals that lie inside its
span after the warm-up, as in training (:class:`~.model.IntervalObjective`), so the live
score and the offline test score measure the same thing. Energy is a model estimate: SNN
operations counted from the run's spikes priced per operation (Loihi), ANN MACs priced as
board power x modelled time (Jetson); both carry their coefficients and source.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from hybrid_perception.datasets.gesture_bag import LabelSpan
from hybrid_perception.datasets.gesture_classes import NO_GESTURE
from hybrid_perception.hybrid.common import latency_summary
from hybrid_perception.hybrid.gesture.bundle import ClassifierBundle
from hybrid_perception.hybrid.gesture.stream import SpikingStage
from hybrid_perception.networks.energy import EnergyEstimate, EnergyModel, OpCounts, count_macs

__all__ = ['Decision', 'between_gestures', 'confusion_matrix', 'count_head_ops', 'gesture_metrics',
           'inference_costs', 'score_gestures']


@dataclass(frozen=True)
class Decision:
    """One interval's output: its input window on the sensor clock and class probabilities."""

    start_us: int
    end_us: int
    probabilities: np.ndarray


def score_gestures(decisions: Sequence[Decision], spans: Sequence[LabelSpan],
                   warmup_us: int) -> tuple[np.ndarray, np.ndarray]:
    """(true labels, predictions) of every span with at least one scored interval."""
    starts = np.array([d.start_us for d in decisions], np.int64)
    ends = np.array([d.end_us for d in decisions], np.int64)
    truth, predicted = [], []
    for span in spans:
        inside = (starts >= span.start_us + warmup_us) & (ends <= span.end_us)
        if not inside.any():
            continue
        mean = np.mean([decisions[i].probabilities for i in np.flatnonzero(inside)], axis=0)
        truth.append(span.label)
        predicted.append(int(mean.argmax()))
    return np.array(truth, np.int64), np.array(predicted, np.int64)


def between_gestures(decisions: Sequence[Decision], spans: Sequence[LabelSpan],
                     classes: Sequence[str]) -> dict:
    """The decisions whose window touches no labelled span (the moments between gestures, as a
    camera sees them), and the share of them that name no gesture."""
    outside = [d for d in decisions
               if not any(d.start_us < s.end_us and d.end_us > s.start_us for s in spans)]
    labels = [classes[int(d.probabilities.argmax())] for d in outside]
    return {'decisions': len(outside),
            'none': float(np.mean([label == NO_GESTURE for label in labels]))
            if labels else float('nan')}


def confusion_matrix(truth: np.ndarray, predicted: np.ndarray, classes: int) -> np.ndarray:
    """Rows: true class, columns: predicted class."""
    matrix = np.zeros((classes, classes), np.int64)
    np.add.at(matrix, (truth, predicted), 1)
    return matrix


def inference_costs(bundle: ClassifierBundle, snn_ops: OpCounts | None, *,
                    snn_platform: str = 'loihi', ann_platform: str = 'jetson_orin_nano',
                    ) -> dict[str, tuple[OpCounts, EnergyEstimate]]:
    """Operations and estimated energy of one decision, per side: ``snn`` (the head's window
    on the chip, ``snn_ops`` counted from a run) and ``ann`` (the tail's MACs on the board)."""
    parts = {}
    if snn_ops is not None:
        parts['snn'] = (snn_ops, EnergyModel(snn_platform).estimate(snn_ops))
    ann = bundle.model().ann
    if ann is not None:
        macs = count_macs(ann, torch.zeros(1, *bundle.spec.feature_shape)).op_counts()
        parts['ann'] = (macs, EnergyModel(ann_platform).estimate(macs))
    return parts


def count_head_ops(bundle: ClassifierBundle, clips: np.ndarray) -> OpCounts | None:
    """Mean operations of the SNN head per decision, with ``clips`` (N, T, C, H, W) played as
    one stream through the torch runtime, as the live graph runs it; None without a head."""
    if bundle.spec.kind == 'ann':
        return None
    stage, interval = SpikingStage(bundle), bundle.spec.interval
    stream = np.concatenate(list(clips)).astype(np.float32)
    for start in range(0, len(stream) - interval + 1, interval):
        stage(stream[start:start + interval])
    return stage.ops_per_window()


def gesture_metrics(bundle: ClassifierBundle, decisions: Sequence[Decision],
                    latencies: dict[str, list[float]], ops: OpCounts | None,
                    spans: Sequence[LabelSpan]) -> dict:
    """One model's live run as metrics.json holds it: accuracy over the labelled gestures,
    latency end to end and per stage (ms), operations and the estimated energy (coefficients
    and source with every figure)."""
    binning, spec = bundle.binning, bundle.spec
    known = [s for s in spans if s.label < len(spec.classes)]  # no none class: none unscored
    truth, predicted = score_gestures(decisions, known, binning.warmup_steps * binning.bin_us)
    costs = inference_costs(bundle, ops)
    joules = sum(e.joules for _, e in costs.values())
    interval_s = spec.interval * binning.bin_us * 1e-6
    return {
        'spec': spec.name, 'kind': spec.kind, 'interval': spec.interval,
        'model_path': str(bundle.path),
        'accuracy': float(np.mean(truth == predicted)) if len(truth) else float('nan'),
        'gestures': int(len(truth)), 'decisions': len(decisions),
        'between_gestures': between_gestures(decisions, spans, spec.classes),
        'offline_test_accuracy': bundle.metrics.get('test_accuracy'),
        'latency_ms': latency_summary(latencies['end_to_end']),
        'stage_latency_ms': {s: latency_summary(latencies[s])
                             for s in ('snn', 'accumulator', 'ann')},
        'synaptic_ops_per_inference': float(ops.synaptic_op) if ops else 0.0,
        'neuron_updates_per_inference': float(ops.neuron_update_active
                                              + ops.neuron_update_inactive) if ops else 0.0,
        'macs_per_inference': float(costs['ann'][0].mac) if 'ann' in costs else 0.0,
        'energy_mj_per_inference': joules * 1e3,
        'power_mw': joules / interval_s * 1e3,
        'energy_is_estimate': True,
        'energy_estimates': {part: {'platform': e.platform, 'mj': e.joules * 1e3,
                                    'coefficients': e.coefficients, 'source': e.source,
                                    'text': str(e)} for part, (_, e) in costs.items()},
        'energy_uj_per_layer': {part: {layer: j * 1e6 for layer, j in
                                       EnergyModel(e.platform).per_layer(counts).items()}
                                for part, (counts, e) in costs.items()},
        'confusion': confusion_matrix(truth, predicted, len(spec.classes)).tolist(),
    }
