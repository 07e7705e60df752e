"""The compiled runtime (the NetX export on numpy and the compiled neurons, no torch) against
the torch runtime (SLAYER), on every network the package ships: the same output, the same
spikes in every layer and the same states, window after window, from states set from outside
(H2's hook) as from rest, one step a call as the pose nodes step and whole windows as the
gesture nodes do; and what it does not run, it refuses."""

from __future__ import annotations

import shutil

import h5py
import numpy as np
import pytest
import torch

from hybrid_perception.errors import HybridPerceptionError
from hybrid_perception.hybrid.common import MODELS_DIR
from hybrid_perception.networks.energy.counts import arriving_counts
from hybrid_perception.networks.energy.operations import arriving_spikes
from hybrid_perception.networks.snn import (
    CompiledRuntime,
    NeuronState,
    SpikingNetwork,
    TorchRuntime,
)
from hybrid_perception.networks.spec import ConvLayer, DenseLayer

SHIPPED = sorted(str(p.relative_to(MODELS_DIR)) for p in MODELS_DIR.rglob('*.net'))


@pytest.mark.parametrize('dense_above', [0.0, 1.0], ids=['matrix-product', 'scatter'])
@pytest.mark.parametrize('steps', [1, 7])
@pytest.mark.parametrize('path', SHIPPED)
def test_the_compiled_runtime_is_the_torch_runtime_bit_for_bit(path, steps, dense_above, rng):
    network = SpikingNetwork.load_hdf5(MODELS_DIR / path)
    runtimes = TorchRuntime(network, steps), CompiledRuntime(MODELS_DIR / path, steps)
    runtimes[1].dense_above = dense_above   # every convolution one way or the other,
    runtimes[1].dense_min_steps = 1         # however few its steps
    for layer, shape in enumerate(network.spec.layer_shapes()):
        state = NeuronState(rng.uniform(-1.0, 1.0, shape), rng.uniform(-1.0, 1.2, shape))
        for runtime in runtimes:
            runtime.set_state(layer, state)
    fired = 0
    for window in (rng.random((5, steps, *network.spec.input_shape)) < 0.3).astype(np.float32):
        torch_out, compiled_out = (runtime.step(window) for runtime in runtimes)
        assert np.array_equal(compiled_out, torch_out)
        for a, b in zip(runtimes[1].layer_spikes, runtimes[0].layer_spikes, strict=True):
            assert np.array_equal(a, b)
        fired += sum(int(spikes.sum()) for spikes in runtimes[0].layer_spikes)
    assert fired > 0
    for layer in range(len(network.spec.layers)):
        a, b = runtimes[1].get_state(layer), runtimes[0].get_state(layer)
        assert np.array_equal(a.current, b.current) and np.array_equal(a.voltage, b.voltage)
    for runtime in runtimes:   # from rest again, spikes in flight included
        runtime.reset()
    window = np.ones((steps, *network.spec.input_shape), np.float32)
    assert np.array_equal(runtimes[1].step(window), runtimes[0].step(window))


@pytest.mark.parametrize('steps', [1, 3])
@pytest.mark.parametrize('path', SHIPPED)
def test_a_step_ahead_is_the_same_course_one_step_sooner(path, steps, rng):
    """Input step t gives output step t + 1 (every layer takes its input one step late): fed
    an empty step first, the same outputs and neuron states as stepping as usual, from states
    set from outside (H2's hook) as from rest."""
    usual, ahead = (CompiledRuntime(MODELS_DIR / path, steps) for _ in range(2))
    shape = usual.spec.input_shape
    for layer, layer_shape in enumerate(usual.layer_shapes):
        state = NeuronState(rng.uniform(-1.0, 1.0, layer_shape),
                            rng.uniform(-1.0, 1.2, layer_shape))
        usual.set_state(layer, state)
        ahead.set_state(layer, state)
    inputs = (rng.random((6 * steps, *shape)) < 0.3).astype(np.float32)
    sooner = np.concatenate([np.zeros((1, *shape), np.float32), inputs[:-1]])
    fired = 0
    for i in range(0, len(inputs), steps):
        expected = usual.step(inputs[i:i + steps])
        assert np.array_equal(ahead.step_ahead(sooner[i:i + steps]), expected)
        fired += sum(int(spikes.sum()) for spikes in usual.layer_spikes)
    assert fired > 0
    for layer in range(len(usual.spec.layers)):
        a, b = usual.get_state(layer), ahead.get_state(layer)
        assert np.array_equal(a.current, b.current) and np.array_equal(a.voltage, b.voltage)


@pytest.mark.parametrize('change, message', [
    (lambda layer: layer['neuron'].__setitem__('gradedSpike', True), 'graded spikes'),
    (lambda layer: layer.__setitem__('delay', np.zeros(2)), 'axonal delays'),
    (lambda layer: layer['groups'].write_direct(np.array(2)), 'grouped or dilated'),
])
def test_what_the_compiled_runtime_does_not_run_is_refused_by_name(tmp_path, change, message):
    path = tmp_path / 'snn.net'
    shutil.copy(MODELS_DIR / 'gesture/snn/snn.net', path)
    with h5py.File(path, 'r+') as handle:
        layer = handle['layer/0']
        if message == 'graded spikes':
            del layer['neuron/gradedSpike']
        change(layer)
    with pytest.raises(HybridPerceptionError, match=f'layer 0 has {message}'):
        CompiledRuntime(path, 4)


@pytest.mark.parametrize('layer', [ConvLayer(8, kernel=3, stride=2, padding=1),
                                   ConvLayer(4, kernel=5, stride=1, padding=2),
                                   ConvLayer(4, kernel=3, stride=1, padding=0),
                                   DenseLayer(10)])
def test_counting_arriving_spikes_without_torch_counts_what_torch_counts(layer, rng):
    spikes = rng.random((6, 3, 17, 17)) < 0.2
    ours = arriving_counts(layer, spikes)
    theirs = arriving_spikes(layer, torch.from_numpy(spikes.astype(np.float32))).numpy()
    assert ours.shape == theirs.shape and np.array_equal(ours, theirs.astype(np.int64))
