"""Spikes to a dense tensor: H1's bridge from the SNN to the ANN.

Two readouts over windows of ``window`` time steps, time on the first axis:

* counts (``decay=None``): the number of spikes each neuron fired in the window, which is
  what Seekings et al. feed their ANN;
* leaky (``0 <= decay < 1``): the trace ``v[t] = decay * v[t-1] + s[t]``, carried across
  windows and read at each window's last step, so recent spikes weigh most.

The same per-step update (:func:`integrate`) runs here and inside the Lava process, which is
why the two agree to the bit. Functions take numpy arrays or torch tensors alike.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ['SpikeAccumulator', 'accumulate', 'integrate']


def integrate(trace, spikes, decay: float | None):
    """One time step of the readout: a plain sum for counts, a leaky sum otherwise."""
    return trace + spikes if decay is None else decay * trace + spikes


def accumulate(spikes, window: int, decay: float | None = None):
    """(T, *shape) spikes -> (T // window, *shape) readouts; a partial last window is dropped."""
    validate_readout(window, decay)
    n = spikes.shape[0] // window
    if decay is None:
        return spikes[:n * window].reshape(n, window, *spikes.shape[1:]).sum(1)
    trace = spikes[0] * 0
    readouts = []
    for t in range(n * window):
        trace = integrate(trace, spikes[t], decay)
        if t % window == window - 1:
            readouts.append(trace)
    if not readouts:
        return spikes[:0]
    if isinstance(spikes, np.ndarray):
        return np.stack(readouts)
    import torch  # only reached with torch tensors
    return torch.stack(readouts)


def validate_readout(window: int, decay: float | None) -> None:
    if window < 1:
        raise ValueError(f'window must be at least 1 time step, got {window}')
    if decay is not None and not 0.0 <= decay < 1.0:
        raise ValueError(f'decay must be in [0, 1) (or None for counts), got {decay}')


@dataclass
class SpikeAccumulator:
    """Streaming readout: push spikes in any chunking, get every window completed so far."""

    shape: tuple[int, ...]
    window: int
    decay: float | None = None

    def __post_init__(self) -> None:
        validate_readout(self.window, self.decay)
        self.reset()

    def reset(self) -> None:
        self._trace = np.zeros(self.shape, np.float32)
        self._steps_in_window = 0

    def push(self, spikes: np.ndarray) -> np.ndarray:
        """(T, *shape) spikes -> (completed windows, *shape) float32 readouts."""
        if spikes.shape[1:] != tuple(self.shape):
            raise ValueError(f'spikes must have shape (T, {", ".join(map(str, self.shape))}),'
                             f' got {spikes.shape}')
        readouts = []
        for step in np.asarray(spikes, np.float32):
            self._trace = integrate(self._trace, step, self.decay)
            self._steps_in_window += 1
            if self._steps_in_window == self.window:
                readouts.append(self._trace.copy())
                self._steps_in_window = 0
                if self.decay is None:
                    self._trace[:] = 0
        if not readouts:
            return np.zeros((0, *self.shape), np.float32)
        return np.stack(readouts)
