"""Scoring a live run: gestures from their scored intervals, latency from the stamps."""

import numpy as np

from hybrid_perception.datasets.gesture_bag import LabelSpan
from hybrid_perception.hybrid.gesture.bundle import load_bundle
from hybrid_perception.hybrid.gesture.evaluation import (
    Decision,
    between_gestures,
    confusion_matrix,
    count_head_ops,
    score_gestures,
)
from hybrid_perception.ros.tools.live_evaluation import LiveRun, Published


def _decision(start, best, classes=3):
    probabilities = np.full(classes, 0.1)
    probabilities[best] = 0.8
    return Decision(start, start + 40, probabilities)


def test_a_gesture_is_scored_on_its_intervals_after_the_warm_up():
    spans = [LabelSpan(0, 240, 2, 'c', 's'), LabelSpan(240, 480, 1, 'b', 's'),
             LabelSpan(480, 520, 0, 'a', 's')]  # too short to have a scored interval
    # warm-up intervals say 0; the scored ones of span 0 say 2 and 2 and 1
    decisions = [_decision(t, 0) for t in (0, 40)] + [_decision(80, 2), _decision(120, 2),
                                                      _decision(160, 1), _decision(200, 2)]
    decisions += [_decision(t, 1 if t >= 320 else 2) for t in range(240, 480, 40)]
    truth, predicted = score_gestures(decisions, spans, warmup_us=80)
    assert truth.tolist() == [2, 1] and predicted.tolist() == [2, 1]
    matrix = confusion_matrix(np.array([2, 1, 1]), np.array([2, 1, 0]), 3)
    assert matrix.tolist() == [[0, 0, 0], [1, 1, 0], [0, 0, 1]]


def test_between_gestures_counts_the_decisions_that_touch_no_span():
    spans = [LabelSpan(100, 200, 0, 'a', 's'), LabelSpan(400, 500, 1, 'b', 's')]
    # windows [t, t + 40): 60, 200 (it starts where a span ends), 300 and 360 touch no span
    decisions = [_decision(60, 2), _decision(80, 2), _decision(200, 0), _decision(300, 2),
                 _decision(360, 2), _decision(480, 2)]
    found = between_gestures(decisions, spans, ('a', 'b', 'none'))
    assert found == {'decisions': 4, 'none': 0.75}
    assert between_gestures(decisions[1:2], spans, ('a', 'b', 'none'))['decisions'] == 0


def test_latency_is_measured_from_the_packet_that_completed_the_window():
    run = LiveRun(window_us=40, published=Published([0, 10, 20, 30, 40, 50],
                                                    [0.0, 1, 2, 3, 4.0, 5]))
    run.arrived_s = {'snn/spikes': {40: 4.5}, 'features': {40: 4.75}, 'classification': {40: 5.0}}
    latencies = run.latencies()
    assert latencies == {'end_to_end': [1.0], 'snn': [0.5], 'accumulator': [0.25],
                         'ann': [0.25]}


def test_head_operations_per_decision_follow_the_spec():
    bundle = load_bundle('gesture/hybrid')
    spec = bundle.spec
    clips = (np.random.default_rng(0).random((2, 16, *spec.input_shape)) < 0.1).astype(np.uint8)
    ops = count_head_ops(bundle, clips)
    neurons = sum(np.prod(shape) for shape in spec.snn_spec.layer_shapes())
    assert ops.neuron_update_active + ops.neuron_update_inactive == neurons * spec.interval
    assert list(ops.per_layer) == [f'layer{i}' for i in range(spec.spiking)]
    assert ops.per_layer['layer0'].synaptic_op > 0
    silent = count_head_ops(bundle, np.zeros_like(clips))
    assert silent.synaptic_op == 0 and silent.spike_out == 0
    assert count_head_ops(load_bundle('gesture/ann'), clips) is None
