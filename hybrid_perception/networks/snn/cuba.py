"""SLAYER's CUBA neuron, compiled: the same fixed-point arithmetic, step for step, in numba.

SLAYER runs a CUBA layer's current and voltage as integers of 1/4096 in a Python loop over
time steps (``leaky_integrator._li_dynamics_fwd``), a few tensor operations per step. At
inference on the CPU that loop is most of a window's time (87 % of a converted gesture
network's 71-step window). Here both integrators run in one compiled loop per neuron, with
SLAYER's own operations in SLAYER's own order and types, so the spikes and the states it leaves
are SLAYER's bit for bit (tested on every shipped network):

- the state enters as ``trunc(float32(state) * 4096)``, the input as
  ``trunc(float32(x) * 4096)`` (float32 products, truncation towards zero, int64);
- decay: ``x * (4096 - decay)`` right-shifted by 12 towards zero;
- a neuron spikes when ``float32(v) >= float32(threshold * 4096)`` (SLAYER compares its int64
  voltage with a Python float in float32), and its voltage is then 0;
- outputs are ``float32(int) / 4096``.

Only inference: no gradients, no normalisation or dropout, one shared decay per layer (what
:class:`~hybrid_perception.networks.spec.NeuronSpec` builds). The same arithmetic written in
torch and differentiable in the initial state, for training H2, is
:func:`~hybrid_perception.networks.snn.dynamics.cuba_lif`.
"""

from __future__ import annotations

import numba
import numpy as np
import torch
from lava.lib.dl.slayer.block.base import step_delay

__all__ = ['bake_weights', 'compiled_block', 'compiled_cuba', 'supports']


def supports(block: torch.nn.Module) -> bool:
    """Whether :func:`compiled_block` computes exactly what this SLAYER block does."""
    neuron = block.neuron
    return (neuron.shape is not None                 # SLAYER sets it on its first forward
            and neuron.current_decay.numel() == 1 and neuron.voltage_decay.numel() == 1
            and neuron.norm is None and neuron.drop is None and not neuron.graded_spike
            and block.delay is None and not block.count_log)


def compiled_block(block: torch.nn.Module, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """A SLAYER block's forward (synapse, neuron, one step's delay) with the compiled neuron:
    (the neuron's spikes, the block's output)."""
    spikes = compiled_cuba(block.neuron, block.synapse(x))
    return spikes, step_delay(block, spikes) if block.delay_shift else spikes


def compiled_cuba(neuron: torch.nn.Module, synaptic_input: torch.Tensor) -> torch.Tensor:
    """``neuron(synaptic_input)`` for a SLAYER ``cuba.Neuron`` on the CPU: (N, *shape, T)
    input -> (N, *shape, T) spikes; with persistent state the neuron's current and voltage
    move on as SLAYER's would, without it each call starts where SLAYER's would."""
    scale = int(neuron.s_scale)
    threshold = float(neuron.threshold + neuron.threshold_eps)
    z = synaptic_input.detach().reshape(-1, synaptic_input.shape[-1]).contiguous().numpy()
    current = _state(neuron.current_state, synaptic_input)
    voltage = _state(neuron.voltage_state, synaptic_input)
    spikes = np.empty_like(z)
    _integrate(z, current, voltage, spikes, np.int64(scale - _decay(neuron.current_decay)),
               np.int64(scale - _decay(neuron.voltage_decay)), np.float32(scale),
               np.float32(threshold * scale))
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


@numba.njit(cache=True)
def _shift(x: np.int64) -> np.int64:
    """SLAYER's ``right_shift_to_zero(x, 12)``."""
    return x >> 12 if x > 0 else -((-x) >> 12)


@numba.njit(cache=True, nogil=True)
def _integrate(z, current, voltage, spikes, current_keep, voltage_keep, scale, threshold):
    """Per neuron: the current integrator (no reset), then the voltage integrator on its
    float32 output (reset to 0 at a spike); ``current`` and ``voltage`` hold the states in and
    the last step's values out (the voltage zeroed if that step spiked)."""
    for i in range(z.shape[0]):
        u = np.int64(np.float32(current[i]) * scale)
        v = np.int64(np.float32(voltage[i]) * scale)
        u_out = np.float32(0.0)
        v_out = np.float32(0.0)
        fired = False
        for t in range(z.shape[1]):
            u = _shift(u * current_keep) + np.int64(np.float32(z[i, t]) * scale)
            u_out = np.float32(u) / scale
            v = _shift(v * voltage_keep) + np.int64(u_out * scale)
            v_out = np.float32(v) / scale
            fired = np.float32(v) >= threshold
            spikes[i, t] = 1.0 if fired else 0.0
            if fired:
                v = 0
        current[i] = u_out
        voltage[i] = 0.0 if fired else v_out
