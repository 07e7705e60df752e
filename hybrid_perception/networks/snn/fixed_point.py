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

from hybrid_perception.networks.snn.netx import STATE_SCALE

__all__ = ['THRESHOLD_EPS', 'integrate', 'load_state', 'neuron_constants', 'neurons_step',
           'store_state']

#: SLAYER adds this to every threshold (``cuba.Neuron.threshold_eps``) so that a voltage
#: exactly at threshold spikes as it does on Loihi
THRESHOLD_EPS = 0.01 / STATE_SCALE


def integrate(z: np.ndarray, current: np.ndarray, voltage: np.ndarray, current_decay: int,
              voltage_decay: int, threshold: float) -> np.ndarray:
    """(neurons, T) float32 synaptic input -> (neurons, T) spikes; ``current`` and
    ``voltage`` (float32, one per neuron) hold the state in and are left holding the state
    out. Decays are of 4096 (quantised, as SLAYER's); ``threshold`` is SLAYER's float
    threshold plus :data:`THRESHOLD_EPS`, compared in float32 as SLAYER compares it.

    The loop runs step by step over all neurons, so ``z`` is read (and the spikes written)
    neuron-contiguous: a time-first (T, neurons) array's transpose is taken as it is, any other
    layout is copied once."""
    z = np.asfortranarray(z, np.float32)
    spikes = np.empty_like(z)
    _integrate(z, current, voltage, spikes, *neuron_constants(current_decay, voltage_decay,
                                                              threshold))
    return spikes


def neuron_constants(current_decay: int, voltage_decay: int, threshold: float
                     ) -> tuple[np.int64, np.int64, np.float32, np.float32]:
    """What the compiled loops take for a layer's neurons (:func:`integrate`'s arguments):
    the parts of each state kept a step (of 4096), the state scale, and the threshold in
    state units as SLAYER compares it (float32)."""
    return (np.int64(STATE_SCALE - current_decay), np.int64(STATE_SCALE - voltage_decay),
            np.float32(STATE_SCALE), np.float32(threshold * STATE_SCALE))


@numba.njit(cache=True, inline='always')
def _decay(x, keep):
    """``x * keep`` shifted right by 12 towards zero, SLAYER's ``right_shift_to_zero`` written
    without a branch: ``(y + (4095 if y < 0 else 0)) >> 12``."""
    y = x * keep
    return (y + ((y >> 63) & 4095)) >> 12


@numba.njit(cache=True, nogil=True)
def _integrate(z, current, voltage, spikes, current_keep, voltage_keep, scale, threshold):
    """Both integrators, step by step, every neuron in a step (:func:`neurons_step`);
    ``current`` and ``voltage`` hold the states in and the last step's values out."""
    neurons = z.shape[0]
    inverse = np.float32(1.0) / scale
    u = np.empty(neurons, np.int64)
    v = np.empty(neurons, np.int64)
    u_out = np.zeros(neurons, np.float32)
    load_state(current, voltage, u, v, scale)
    for t in range(z.shape[1]):
        neurons_step(z[:, t], u, v, u_out, spikes[:, t], current_keep, voltage_keep, scale,
                     inverse, threshold)
    store_state(u_out, v, current, voltage, inverse)


@numba.njit(cache=True, inline='always')
def load_state(current, voltage, u, v, scale):
    """SLAYER's integer states from the float32 ones: ``trunc(float32(state) * 4096)``."""
    for i in range(len(u)):
        u[i] = np.int64(np.float32(current[i]) * scale)
        v[i] = np.int64(np.float32(voltage[i]) * scale)


@numba.njit(cache=True, inline='always')
def neurons_step(z, u, v, u_out, spikes, current_keep, voltage_keep, scale, inverse, threshold):
    """One time step of every neuron, without branches (so the compiler vectorises across
    neurons): the current integrator (no reset) on the float32 input ``z``, then the voltage
    integrator on its float32 output (reset to 0 at a spike). ``u`` and ``v`` are the integer
    states in and out, ``u_out`` the float32 current out, ``spikes`` 1.0 where a neuron fired.

    SLAYER's decay is :func:`_decay`, and its division by the power of two ``scale`` is the
    exact product with its inverse."""
    for i in range(len(u)):
        u[i] = _decay(u[i], current_keep) + np.int64(np.float32(z[i]) * scale)
        u_out[i] = np.float32(u[i]) * inverse
        voltage_in = _decay(v[i], voltage_keep) + np.int64(u_out[i] * scale)
        fired = np.float32(voltage_in) >= threshold
        spikes[i] = np.float32(fired)
        v[i] = 0 if fired else voltage_in


@numba.njit(cache=True, inline='always')
def store_state(u_out, v, current, voltage, inverse):
    """The float32 states SLAYER leaves: the last step's current, and its voltage (0 where
    that step spiked)."""
    for i in range(len(v)):
        current[i] = u_out[i]
        voltage[i] = np.float32(v[i]) * inverse
