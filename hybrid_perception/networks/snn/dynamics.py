"""CUBA LIF dynamics in plain torch, bit-exact with SLAYER's forward, differentiable in the
initial state.

H2 sets every layer's current and voltage from the ANN and trains through that: the loss must
reach the state initializer. SLAYER's fixed-point dynamics return no gradient for the initial
state, so this module re-implements them. The forward is SLAYER's integer arithmetic exactly
(states in integers of 1/4096, Loihi's ``STATE_SCALE``; decays of 1/4096 applied with a shift
toward zero; reset to zero on a spike), so a network trained here is the network SLAYER, NetX
and Loihi run. The backward is the float recurrence's (a straight-through estimate of the
rounding) with SLAYER's surrogate spike gradient; like SLAYER's, it does not differentiate the
reset.
"""

from __future__ import annotations

import torch

from hybrid_perception.networks.snn.netx import STATE_SCALE as S_SCALE
from hybrid_perception.networks.spec import NeuronSpec

__all__ = ['cuba_lif']

_DECAY_SCALE = 1 << 12
# SLAYER CUBA's multipliers of the spec's tau_grad / scale_grad (lava.lib.dl.slayer.neuron.cuba)
_TAU_RHO_MULT, _SCALE_RHO_MULT = 100, 0.1


class _Spike(torch.autograd.Function):
    """Heaviside forward; SLAYER's exponential surrogate derivative backward."""

    @staticmethod
    def forward(ctx, voltage: torch.Tensor, threshold: float, tau: float,
                scale: float) -> torch.Tensor:
        ctx.save_for_backward(voltage)
        ctx.constants = threshold, tau, scale
        return (voltage >= threshold).to(voltage.dtype)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        (voltage,) = ctx.saved_tensors
        threshold, tau, scale = ctx.constants
        surrogate = scale / 2 / tau * torch.exp(-(voltage - threshold).abs() / tau)
        return grad * surrogate, None, None, None


def _decay_integer(decay: float) -> int:
    """What SLAYER keeps of a decay fraction: an integer of 1/4096 (its ``quantize``)."""
    return int(round(decay * _DECAY_SCALE))


def _leak(state: torch.Tensor, decay: int) -> torch.Tensor:
    """``state * (1 - decay)`` with SLAYER's rounding toward zero, straight-through."""
    exact = torch.round(state.detach().double() * S_SCALE) * (_DECAY_SCALE - decay)
    exact = (torch.trunc(exact / _DECAY_SCALE) / S_SCALE).to(state.dtype)
    smooth = state * (1 - decay / _DECAY_SCALE)
    return smooth + (exact - smooth).detach()


def _fixed(value: torch.Tensor) -> torch.Tensor:
    """An input in SLAYER's state units (truncated toward zero), straight-through."""
    exact = torch.trunc(value.detach().double() * S_SCALE) / S_SCALE
    return value + (exact.to(value.dtype) - value).detach()


def cuba_lif(inputs: torch.Tensor, neuron: NeuronSpec, current: torch.Tensor | None = None,
             voltage: torch.Tensor | None = None
             ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Run (N, *shape, T) synaptic input from state (current, voltage), each (N, *shape).

    Returns the spikes (N, *shape, T) and the final current and voltage (after the last
    step's reset), which are what a runtime's ``get_state`` reads and ``set_state`` writes.
    """
    zeros = torch.zeros_like(inputs[..., 0])
    current = zeros if current is None else current
    voltage = zeros if voltage is None else voltage
    current_decay = _decay_integer(neuron.current_decay)
    voltage_decay = _decay_integer(neuron.voltage_decay)
    # SLAYER compares the integer voltage with (threshold + 0.01 / S_SCALE) * S_SCALE
    threshold = neuron.threshold + 0.01 / S_SCALE
    tau, scale = neuron.tau_grad * _TAU_RHO_MULT, neuron.scale_grad * _SCALE_RHO_MULT
    spikes = []
    for step in range(inputs.shape[-1]):
        current = _leak(current, current_decay) + _fixed(inputs[..., step])
        voltage = _leak(voltage, voltage_decay) + _fixed(current)
        spike = _Spike.apply(voltage, threshold, tau, scale)
        voltage = voltage * (1 - spike.detach())
        spikes.append(spike)
    return torch.stack(spikes, dim=-1), current, voltage
