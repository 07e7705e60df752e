"""Our CUBA dynamics against SLAYER's own: same spikes and states, plus a gradient to the state."""

import numpy as np
import torch
from lava.lib.dl import slayer

from hybrid_perception.networks.snn.dynamics import cuba_lif
from hybrid_perception.networks.spec import NeuronSpec

NEURONS = [NeuronSpec(), NeuronSpec(threshold=1.25, current_decay=0.5, voltage_decay=0.2)]


def _slayer_neuron(spec: NeuronSpec, state=None):
    neuron = slayer.neuron.cuba.Neuron(**spec.slayer_params(), persistent_state=True)
    neuron(torch.zeros(2, 50, 1))  # learn the shape
    neuron.current_state = torch.zeros(2, 50) if state is None else state[0].clone()
    neuron.voltage_state = torch.zeros(2, 50) if state is None else state[1].clone()
    return neuron


def test_spikes_and_states_match_slayer_bit_for_bit():
    for spec in NEURONS:
        rng = np.random.default_rng(0)
        inputs = torch.from_numpy(rng.normal(0.4, 0.8, (2, 50, 40)).astype(np.float32))
        start = [torch.from_numpy(np.round(rng.normal(0, 1, (2, 50)) * 64) / 64).float()
                 for _ in range(2)]
        neuron = _slayer_neuron(spec, start)
        with torch.no_grad():
            expected = neuron(inputs)
        spikes, current, voltage = cuba_lif(inputs, spec, *start)
        assert expected.sum() > 20                       # the test exercises spiking at all
        torch.testing.assert_close(spikes, expected, rtol=0, atol=0)
        torch.testing.assert_close(current, neuron.current_state, rtol=0, atol=0)
        torch.testing.assert_close(voltage, neuron.voltage_state, rtol=0, atol=0)


def test_the_loss_reaches_the_initial_state_and_the_input():
    spec = NEURONS[1]
    inputs = torch.full((1, 8, 6), 0.3, requires_grad=True)
    current = torch.zeros(1, 8, requires_grad=True)
    voltage = torch.linspace(0.0, 1.2, 8).reshape(1, 8).requires_grad_()
    spikes, _, _ = cuba_lif(inputs, spec, current, voltage)
    spikes.sum().backward()
    for tensor in (inputs, current, voltage):
        assert tensor.grad is not None and tensor.grad.abs().sum() > 0


def test_below_threshold_the_state_decays_as_the_float_recurrence_says():
    spec = NEURONS[1]
    voltage = torch.full((1, 4), 0.9, requires_grad=True)
    _, _, final = cuba_lif(torch.zeros(1, 4, 5), spec, torch.zeros(1, 4), voltage)
    final.sum().backward()
    keep = 1 - round(spec.voltage_decay * 4096) / 4096
    torch.testing.assert_close(voltage.grad, torch.full((1, 4), keep ** 5))
    assert abs(final[0, 0].item() - 0.9 * keep ** 5) < 5 / 4096   # within the rounding
