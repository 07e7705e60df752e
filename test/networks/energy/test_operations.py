"""Operation counts against brute-force enumeration of every synapse a spike crosses."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from hybrid_perception.networks.energy import OpCounter, OpCounts, count_macs, count_snn_ops
from hybrid_perception.networks.snn import (
    ConvLayer,
    DenseLayer,
    NetworkSpec,
    SpikingNetwork,
    TorchRuntime,
)


def _receptive_field_hits(layer: ConvLayer, spikes_t: np.ndarray, out_hw) -> np.ndarray:
    """Spikes inside each output position's receptive field, by enumeration."""
    _, h, w = spikes_t.shape
    hits = np.zeros(out_hw, int)
    for oy, ox in itertools.product(range(out_hw[0]), range(out_hw[1])):
        for ky, kx in itertools.product(range(layer.kernel), range(layer.kernel)):
            y = oy * layer.stride - layer.padding + ky
            x = ox * layer.stride - layer.padding + kx
            if 0 <= y < h and 0 <= x < w:
                hits[oy, ox] += spikes_t[:, y, x].sum()
    return hits


@pytest.mark.parametrize('conv', [ConvLayer(3, kernel=3, stride=1, padding=1),
                                  ConvLayer(2, kernel=3, stride=2, padding=1),
                                  ConvLayer(4, kernel=2, stride=2, padding=0)])
def test_snn_counts_match_enumeration(conv, rng):
    spec = NetworkSpec((2, 7, 6), (conv, DenseLayer(5)))
    conv_shape, dense_shape = spec.layer_shapes()
    steps = 4
    x = rng.random((steps, 2, 7, 6)) < 0.2
    conv_spikes = rng.random((steps, *conv_shape)) < 0.3
    dense_spikes = rng.random((steps, *dense_shape)) < 0.3
    ops = count_snn_ops(spec, x, [conv_spikes, dense_spikes])

    hits = [_receptive_field_hits(conv, x[t], conv_shape[1:]) for t in range(steps)]
    conv_synops = sum(h.sum() for h in hits) * conv.channels
    conv_active = sum((h > 0).sum() for h in hits) * conv.channels
    dense_synops = conv_spikes.sum() * 5
    dense_active = sum(conv_spikes[t].any() for t in range(steps)) * 5
    neurons = np.prod(conv_shape) + np.prod(dense_shape)

    assert ops.per_layer['layer0'].synaptic_op == conv_synops
    assert ops.per_layer['layer1'].synaptic_op == dense_synops
    assert ops.synaptic_op == conv_synops + dense_synops
    assert ops.neuron_update_active == conv_active + dense_active
    assert ops.neuron_update_active + ops.neuron_update_inactive == neurons * steps
    assert ops.spike_out == conv_spikes.sum() + dense_spikes.sum()


def test_silence_costs_only_idle_updates():
    spec = NetworkSpec((1, 4, 4), (ConvLayer(2), DenseLayer(3)))
    shapes = spec.layer_shapes()
    ops = count_snn_ops(spec, np.zeros((5, 1, 4, 4)), [np.zeros((5, *s)) for s in shapes])
    assert (ops.synaptic_op, ops.neuron_update_active, ops.spike_out) == (0, 0, 0)
    assert ops.neuron_update_inactive == 5 * (2 * 4 * 4 + 3)


def test_macs_follow_layer_shapes():
    model = torch.nn.Sequential(
        torch.nn.Conv2d(3, 8, 3, padding=1), torch.nn.ReLU(),
        torch.nn.Conv2d(8, 8, 3, stride=2, padding=1, groups=2),
        torch.nn.ConvTranspose2d(8, 4, 2, stride=2),
        torch.nn.Flatten(), torch.nn.Linear(4 * 10 * 10, 7))
    ops = count_macs(model, torch.zeros(2, 3, 10, 10))
    # per output value: one MAC per input channel (of its group) per kernel tap
    assert ops.per_layer['0'] == (8 * 10 * 10) * 3 * 9
    assert ops.per_layer['2'] == (8 * 5 * 5) * (8 // 2) * 9
    # transposed: every input value is multiplied into a kernel of every output channel
    assert ops.per_layer['3'] == (8 * 5 * 5) * 4 * 4
    assert ops.per_layer['5'] == 400 * 7
    assert ops.total == sum(ops.per_layer.values()) == ops.op_counts().mac


def test_summed_and_averaged_counts_keep_the_layer_split(rng):
    spec = NetworkSpec((2, 6, 6), (ConvLayer(3), DenseLayer(4)))
    runs = [count_snn_ops(spec, rng.random((3, 2, 6, 6)) < 0.3,
                          [rng.random((3, *shape)) < 0.3 for shape in spec.layer_shapes()])
            for _ in range(2)]
    mean = (runs[0] + runs[1]).scaled(0.5)
    assert mean.synaptic_op == pytest.approx((runs[0].synaptic_op + runs[1].synaptic_op) / 2)
    assert set(mean.per_layer) == {'layer0', 'layer1'}
    assert mean.per_layer['layer1'].spike_out == pytest.approx(
        (runs[0].per_layer['layer1'].spike_out + runs[1].per_layer['layer1'].spike_out) / 2)
    assert sum(layer.synaptic_op for layer in mean.per_layer.values()) == mean.synaptic_op


def test_two_runtimes_counts_add_up_to_one_mean_per_step(rng):
    """The live pose graph's two cameras: one mean per step over both SNNs' runs."""
    spec = NetworkSpec((2, 6, 6), (ConvLayer(3, weight_scale=4.0), DenseLayer(4)))
    torch.manual_seed(0)
    network = SpikingNetwork(spec)
    counters = []
    for steps in (2, 5):
        runtime, counter = TorchRuntime(network, steps), OpCounter(spec)
        spikes = (rng.random((steps, 2, 6, 6)) < 0.5).astype(np.float32)
        runtime.step(spikes)
        counter.add(runtime, spikes)
        counters.append(counter)
    total = counters[0] + counters[1]
    assert total.steps == 7 and total.windows == 2
    assert total.ops.synaptic_op > 0
    assert total.per_step().synaptic_op == pytest.approx(
        (counters[0].ops.synaptic_op + counters[1].ops.synaptic_op) / 7)


def test_runs_kept_for_later_count_as_each_run_counted_alone(rng):
    """The counter only keeps a run's spikes and counts them together when a total is read
    (or too many wait): the same totals as counting every run on its own, and the runtime's
    next run does not change what was kept."""
    spec = NetworkSpec((2, 6, 6), (ConvLayer(3, weight_scale=4.0), DenseLayer(4)))
    torch.manual_seed(1)
    runtime, counter = TorchRuntime(SpikingNetwork(spec), 3), OpCounter(spec)
    counter.PENDING = 4
    alone = OpCounts()
    for _ in range(10):
        spikes = (rng.random((3, 2, 6, 6)) < 0.4).astype(np.float32)
        runtime.step(spikes)
        counter.add(runtime, spikes)
        alone = alone + count_snn_ops(spec, spikes, runtime.layer_spikes)
    assert len(counter._pending) == 2          # 8 counted when 4 waited, 2 kept
    assert counter.ops == alone and counter.windows == 10 and alone.synaptic_op > 0
    assert not counter._pending
