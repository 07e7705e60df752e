"""The torch and Lava runtimes on one trained, exported network: same spikes, same states."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from hybrid_perception.errors import HybridPerceptionError
from hybrid_perception.networks.energy import OpCounter
from hybrid_perception.networks.snn import (
                                   NeuronState,
                                   RuntimeInputError,
                                   SpikingNetwork,
                                   TorchRuntime,
                                   quantise_state,
)
from hybrid_perception.networks.snn.lava_runtime import LavaRuntime, loihi2_available

WINDOW = 10


@pytest.fixture(scope='module')
def stream(clips):
    """Four validation clips back to back, cut into windows of WINDOW steps."""
    x = np.concatenate(list(clips[1][0][:4]))
    return x.reshape(-1, WINDOW, *x.shape[1:])


@pytest.fixture
def runtimes(exported):
    network = SpikingNetwork.load_hdf5(exported)
    with LavaRuntime(exported, WINDOW, backend='sim') as lava:
        yield TorchRuntime(network, WINDOW), lava


def _random_states(shapes, rng):
    return [NeuronState(rng.uniform(-0.5, 0.5, s), rng.uniform(-1.0, 1.5, s)) for s in shapes]


def _assert_same_states(a, b):
    for layer in range(len(a.layer_shapes)):
        sa, sb = a.get_state(layer), b.get_state(layer)
        np.testing.assert_array_equal(sa.current, sb.current)
        np.testing.assert_array_equal(sa.voltage, sb.voltage)


def test_lava_and_torch_agree_spike_for_spike_and_state_for_state(runtimes, stream):
    """And Lava's operation counts, from the layer spikes of the compiled runtime it steps
    alongside, are torch's: the live energy estimate is the same on every backend."""
    torch_rt, lava_rt = runtimes
    counters = [OpCounter(torch_rt.spec) for _ in runtimes]
    total = 0
    for window in stream:
        out_torch, out_lava = torch_rt.step(window), lava_rt.step(window)
        np.testing.assert_array_equal(out_torch, out_lava)
        _assert_same_states(torch_rt, lava_rt)
        for counter, runtime in zip(counters, runtimes, strict=True):
            counter.add(runtime, window)
        total += out_torch.sum()
    assert total > 0 and lava_rt.shadow_mismatches == 0
    assert counters[1].per_window() == counters[0].per_window()
    assert counters[1].per_window().synaptic_op > 0


def test_streaming_windows_equals_one_forward_over_the_stream(exported, stream):
    network = SpikingNetwork.load_hdf5(exported).eval()
    runtime = TorchRuntime(network, WINDOW)
    streamed = np.concatenate([runtime.step(w) for w in stream])
    whole = torch.from_numpy(np.concatenate(stream)).permute(1, 2, 3, 0)[None]
    with torch.no_grad():
        expected = np.moveaxis(network(whole)[0].numpy(), -1, 0)
    np.testing.assert_array_equal(streamed, expected)


def test_states_set_from_outside_are_the_same_on_both(runtimes, stream, rng):
    torch_rt, lava_rt = runtimes
    for rt in runtimes:
        rt.step(stream[0])
    baseline = TorchRuntime(torch_rt.network, WINDOW)
    baseline.step(stream[0])
    for layer, state in enumerate(_random_states(torch_rt.layer_shapes, rng)):
        torch_rt.set_state(layer, state)
        lava_rt.set_state(layer, state)
        np.testing.assert_array_equal(lava_rt.get_state(layer).voltage,
                                      quantise_state(state.voltage))
    _assert_same_states(torch_rt, lava_rt)
    outputs = [rt.step(stream[1]) for rt in (torch_rt, lava_rt, baseline)]
    np.testing.assert_array_equal(outputs[0], outputs[1])
    assert not np.array_equal(outputs[0], outputs[2]), 'setting the state changed nothing'
    _assert_same_states(torch_rt, lava_rt)
    assert lava_rt.shadow_mismatches == 0   # the states went to its counting shadow too


def test_state_set_before_the_first_window_counts(runtimes, stream, rng):
    torch_rt, lava_rt = runtimes
    states = _random_states(torch_rt.layer_shapes, rng)
    for rt in runtimes:
        for layer, state in enumerate(states):
            rt.set_state(layer, state)
    _assert_same_states(torch_rt, lava_rt)
    np.testing.assert_array_equal(lava_rt.get_state(0).current,
                                  quantise_state(states[0].current))
    np.testing.assert_array_equal(torch_rt.step(stream[0]), lava_rt.step(stream[0]))
    _assert_same_states(torch_rt, lava_rt)


def test_reset_is_a_fresh_start(runtimes, exported, stream):
    fresh = TorchRuntime(SpikingNetwork.load_hdf5(exported), WINDOW).step(stream[2])
    for rt in runtimes:
        rt.step(stream[0])
        rt.step(stream[1])
        rt.reset()
        np.testing.assert_array_equal(rt.step(stream[2]), fresh)


def test_bad_windows_and_states_are_refused_and_the_runtime_goes_on(runtimes, stream):
    torch_rt, lava_rt = runtimes
    for rt in runtimes:
        with pytest.raises(RuntimeInputError, match=r'\(T, C, H, W\)'):
            rt.step(stream[0][:, :1])
        with pytest.raises(RuntimeInputError, match='layer 9 does not exist'):
            rt.get_state(9)
        with pytest.raises(RuntimeInputError, match='voltage must have shape'):
            rt.set_state(0, NeuronState(np.zeros((8, 16, 16)), np.zeros(3)))
    np.testing.assert_array_equal(torch_rt.step(stream[0]), lava_rt.step(stream[0]))


def test_backend_choice(exported):
    if not loihi2_available():
        with pytest.raises(HybridPerceptionError, match='lava-loihi'):
            LavaRuntime(exported, WINDOW, backend='loihi2')
    with pytest.raises(HybridPerceptionError, match='backend must be one of'):
        LavaRuntime(exported, WINDOW, backend='gpu')
    with LavaRuntime(exported, WINDOW) as runtime:
        assert runtime.backend == ('loihi2' if loihi2_available() else 'sim')
