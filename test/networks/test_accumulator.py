"""The accumulator: counts and leaky readout, numpy = torch = streaming = the Lava process."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from lava.magma.core.run_conditions import RunSteps
from lava.magma.core.run_configs import Loihi2SimCfg
from lava.proc import io

from hybrid_perception.networks.accumulator import SpikeAccumulator, accumulate
from hybrid_perception.networks.accumulator.lava_process import Accumulator


@pytest.fixture
def spikes(rng):
    return (rng.random((24, 3, 5)) < 0.3).astype(np.float32)


def test_counts_are_spikes_per_window(spikes):
    counts = accumulate(spikes, window=4)
    assert counts.shape == (6, 3, 5)
    np.testing.assert_array_equal(counts[1], spikes[4:8].sum(0))
    assert counts.sum() == spikes.sum()
    assert accumulate(spikes[:23], window=4).shape == (5, 3, 5)  # partial window dropped


def test_leaky_readout_matches_its_closed_form(spikes):
    decay = 0.8
    readout = accumulate(spikes, window=6, decay=decay)
    weights = decay ** np.arange(11, -1, -1, dtype=np.float64)
    np.testing.assert_allclose(readout[1], np.tensordot(weights, spikes[:12], 1), rtol=1e-5)


@pytest.mark.parametrize('decay', [None, 0.8])
def test_torch_and_streaming_give_the_numpy_numbers(spikes, decay):
    expected = accumulate(spikes, window=4, decay=decay)
    np.testing.assert_array_equal(accumulate(torch.from_numpy(spikes), 4, decay).numpy(),
                                  expected)
    stream = SpikeAccumulator((3, 5), window=4, decay=decay)
    chunks = [stream.push(chunk) for chunk in np.split(spikes, [3, 4, 13, 17])]
    np.testing.assert_array_equal(np.concatenate(chunks), expected)
    assert [len(c) for c in chunks] == [0, 1, 2, 1, 2]


@pytest.mark.parametrize('decay', [None, 0.8])
def test_lava_process_gives_the_same_numbers(spikes, decay):
    flat = spikes.reshape(len(spikes), -1)
    source = io.source.RingBuffer(data=flat.T)
    accumulator = Accumulator(shape=(flat.shape[1],), window=4, decay=decay)
    sink = io.sink.RingBuffer(shape=(flat.shape[1],), buffer=len(flat))
    source.s_out.connect(accumulator.s_in)
    accumulator.out.connect(sink.a_in)
    accumulator.run(condition=RunSteps(num_steps=len(flat)),
                    run_cfg=Loihi2SimCfg(select_tag='floating_pt'))
    received = sink.data.get().T
    accumulator.stop()
    expected = accumulate(flat, window=4, decay=decay)
    np.testing.assert_array_equal(received[3::4], expected)  # each window's last step


@pytest.mark.parametrize('kwargs, message', [
    ({'window': 0}, 'window'), ({'window': 2, 'decay': 1.0}, 'decay')])
def test_bad_configuration_is_refused(spikes, kwargs, message):
    with pytest.raises(ValueError, match=message):
        accumulate(spikes, **kwargs)
    with pytest.raises(ValueError, match=message):
        SpikeAccumulator((3, 5), **kwargs)


def test_stream_refuses_the_wrong_shape_and_keeps_its_state(spikes):
    stream = SpikeAccumulator((3, 5), window=4)
    stream.push(spikes[:2])
    with pytest.raises(ValueError, match='shape'):
        stream.push(spikes[:2, :2])
    np.testing.assert_array_equal(stream.push(spikes[2:4])[0], spikes[:4].sum(0))
