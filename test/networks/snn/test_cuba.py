"""The compiled CUBA neurons against SLAYER's own loop, on every network the package ships:
the same spikes in every layer and the same states, window after window, from states set
from outside (H2's hook) as from rest."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from hybrid_perception.hybrid.common import MODELS_DIR
from hybrid_perception.networks.snn import NeuronState, SpikingNetwork, TorchRuntime

SHIPPED = sorted(str(p.relative_to(MODELS_DIR)) for p in MODELS_DIR.rglob('*.net'))


def _run(network, windows, states, neurons):
    runtime = TorchRuntime(network, windows.shape[1], neurons=neurons)
    for layer, state in enumerate(states):
        runtime.set_state(layer, state)
    out, layers = [], []
    for window in windows:
        out.append(runtime.step(window))
        layers.append([spikes.copy() for spikes in runtime.layer_spikes])
    return runtime, np.concatenate(out), layers


@pytest.mark.parametrize('path', SHIPPED)
def test_compiled_neurons_are_slayers_bit_for_bit(path, rng):
    network = SpikingNetwork.load_hdf5(MODELS_DIR / path)
    windows = (rng.random((4, 9, *network.spec.input_shape)) < 0.3).astype(np.float32)
    shapes = network.spec.layer_shapes()
    states = [NeuronState(rng.uniform(-1.0, 1.0, s), rng.uniform(-1.0, 1.2, s)) for s in shapes]
    slayer, compiled = (_run(network, windows, states, n) for n in ('slayer', 'compiled'))
    assert compiled[0].compiled and not slayer[0].compiled
    assert np.array_equal(compiled[1], slayer[1])
    assert all(np.array_equal(a, b) for window_a, window_b in zip(compiled[2], slayer[2],
                                                                  strict=True)
               for a, b in zip(window_a, window_b, strict=True))
    assert sum(spikes.sum() for window in slayer[2] for spikes in window) > 0
    for layer in range(len(shapes)):
        a, b = compiled[0].get_state(layer), slayer[0].get_state(layer)
        assert np.array_equal(a.current, b.current) and np.array_equal(a.voltage, b.voltage)


def test_an_unknown_neuron_loop_is_refused():
    network = SpikingNetwork.load_hdf5(MODELS_DIR / SHIPPED[0])
    with pytest.raises(ValueError, match='neurons must be one of'):
        TorchRuntime(network, 4, neurons='fast')


#: the networks that run from rest (a pose hybrid's SNN starts from its ANN's states: from rest
#: the shipped one stays silent whatever its input, so a comparison there would show nothing)
FROM_REST = [p for p in SHIPPED if not (p.startswith('pose') and p.endswith('/snn.net'))]


@pytest.mark.parametrize('path', FROM_REST)
def test_a_batch_forward_without_gradients_is_slayers_too(path, rng):
    """What scoring and validation run: each sample from rest, whole windows at once."""
    network = SpikingNetwork.load_hdf5(MODELS_DIR / path).train()   # keeps every layer's spikes
    x = torch.from_numpy((rng.random((3, *network.spec.input_shape, 24)) < 0.3)
                         .astype(np.float32))
    runs = []
    for compiled in (True, False):
        network.compiled_neurons = compiled
        with torch.no_grad():
            runs.append([network(x), *network.layer_spikes])
    assert all(torch.equal(a, b) for a, b in zip(*runs, strict=True))
    assert any(layer.any() for layer in runs[1])
    network.compiled_neurons = True
    assert torch.equal(network(x), runs[1][0])      # training keeps SLAYER's differentiable loop
