"""SLAYER's CUBA blocks with their neurons run compiled (:mod:`.fixed_point`: SLAYER's
fixed-point loop in numba, bit-exact), for the torch runtime and the batch forward on the CPU.
"""

from __future__ import annotations

import numpy as np
import torch
from lava.lib.dl.slayer.block.base import step_delay

from hybrid_perception.networks.snn.fixed_point import integrate
from hybrid_perception.networks.snn.netx import STATE_SCALE

__all__ = ['bake_weights', 'compiled_block', 'compiled_cuba', 'supports']


def supports(block: torch.nn.Module) -> bool:
    """Whether :func:`compiled_block` computes exactly what this SLAYER block does."""
    neuron = block.neuron
    return (neuron.shape is not None                 # SLAYER sets it on its first forward
            and neuron.current_decay.numel() == 1 and neuron.voltage_decay.numel() == 1
            and neuron.norm is None and neuron.drop is None and not neuron.graded_spike
            and block.delay is None and not block.count_log
            and int(neuron.s_scale) == STATE_SCALE)


def compiled_block(block: torch.nn.Module, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """A SLAYER block's forward (synapse, neuron, one step's delay) with the compiled neuron:
    (the neuron's spikes, the block's output)."""
    spikes = compiled_cuba(block.neuron, block.synapse(x))
    return spikes, step_delay(block, spikes) if block.delay_shift else spikes


def compiled_cuba(neuron: torch.nn.Module, synaptic_input: torch.Tensor) -> torch.Tensor:
    """``neuron(synaptic_input)`` for a SLAYER ``cuba.Neuron`` on the CPU: (N, *shape, T)
    input -> (N, *shape, T) spikes; with persistent state the neuron's current and voltage
    move on as SLAYER's would, without it each call starts where SLAYER's would."""
    z = synaptic_input.detach().reshape(-1, synaptic_input.shape[-1]).contiguous().numpy()
    current = _state(neuron.current_state, synaptic_input)
    voltage = _state(neuron.voltage_state, synaptic_input)
    spikes = integrate(z, current, voltage, _decay(neuron.current_decay),
                       _decay(neuron.voltage_decay), float(neuron.threshold + neuron.threshold_eps))
    if neuron.persistent_state:
        shape = synaptic_input.shape[:-1]
        neuron.current_state = torch.from_numpy(current).reshape(shape)
        neuron.voltage_state = torch.from_numpy(voltage).reshape(shape)
    return torch.from_numpy(spikes).reshape(synaptic_input.shape)


def bake_weights(synapse: torch.nn.Module) -> None:
    """Quantise a synapse's weights once, as its pre-hook does on every forward, and drop the
    hook: the same convolution without re-quantising fixed weights each call (inference on a
    runtime's own copy of the network only)."""
    if synapse._pre_hook_fx is not None and not getattr(synapse, 'weight_norm_enabled', False):
        with torch.no_grad():
            synapse.weight.data = synapse._pre_hook_fx(synapse.weight).data
        synapse._pre_hook_fx = None


def _decay(decay: torch.Tensor) -> int:
    """SLAYER's ``quantize(decay)`` (``torch.round``, half to even, as Python's ``round``)
    without an autograd call each time a layer runs."""
    return round(float(decay))


def _state(state: torch.Tensor, synaptic_input: torch.Tensor) -> np.ndarray:
    """A state as one float32 per neuron, as SLAYER starts from it: zeros when the batch
    differs from the stored state's, else the stored state broadcast."""
    shape = synaptic_input.shape[:-1]
    if state.shape[0] != shape[0]:
        return np.zeros(int(np.prod(shape)), np.float32)
    return np.ascontiguousarray(torch.broadcast_to(state.detach(), shape).reshape(-1).numpy(),
                                np.float32).copy()
