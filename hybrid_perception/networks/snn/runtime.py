"""One streaming interface for running an exported SNN, whatever executes it.

Arrays are time-first like the event representations: a window of input is
(T, C, H, W) unary spikes, its output is (T, *output_shape). Neuron state lives between
windows; states are exchanged in SLAYER's float units (voltage in threshold units) and laid
out like the layer's output, (C, H, W) or (units,). Both runtimes round states to the chip's
fixed point (1/STATE_SCALE) so that a state set from outside is the same number everywhere.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass

import numpy as np

from hybrid_perception.errors import HybridPerceptionError
from hybrid_perception.networks.snn.netx import STATE_SCALE
from hybrid_perception.networks.spec import NetworkSpec

__all__ = ['NeuronState', 'RuntimeInputError', 'SnnRuntime', 'quantise_state']


class RuntimeInputError(HybridPerceptionError):
    """A window or state of the wrong shape, or a layer that does not exist."""


@dataclass(frozen=True)
class NeuronState:
    """CUBA LIF state of one layer: synaptic current and membrane voltage, same shape."""

    current: np.ndarray
    voltage: np.ndarray


def quantise_state(values: np.ndarray) -> np.ndarray:
    """The nearest value Loihi can hold (an integer number of 1/STATE_SCALE)."""
    return np.round(np.asarray(values, np.float64) * STATE_SCALE) / STATE_SCALE


class SnnRuntime(abc.ABC):
    """Feed a window, get its output spikes; the network's state carries over to the next."""

    def __init__(self, spec: NetworkSpec, window_steps: int) -> None:
        if window_steps < 1:
            raise RuntimeInputError(f'window_steps must be at least 1, got {window_steps}')
        self.spec = spec
        self.window_steps = int(window_steps)
        self.layer_shapes = spec.layer_shapes()

    def step(self, spikes: np.ndarray) -> np.ndarray:
        """Run one window of (T, C, H, W) input spikes; nonzero counts are one spike."""
        return self._run(self._window(spikes))

    def _window(self, spikes: np.ndarray) -> np.ndarray:
        """A window of input checked for its shape, as 0/1 float32."""
        expected = (self.window_steps, *self.spec.input_shape)
        if np.shape(spikes) != expected:
            raise RuntimeInputError(f'input window must have shape {expected} '
                                    f'(T, C, H, W), got {np.shape(spikes)}')
        return (np.asarray(spikes) > 0).astype(np.float32)

    def get_state(self, layer: int) -> NeuronState:
        self._check_layer(layer)
        return self._read_state(layer)

    def set_state(self, layer: int, state: NeuronState) -> None:
        """Overwrite one layer's current and voltage before the next window (H2's hook)."""
        shape = self._check_layer(layer)
        for name in ('current', 'voltage'):
            if np.shape(getattr(state, name)) != shape:
                raise RuntimeInputError(f'layer {layer} {name} must have shape {shape}, '
                                        f'got {np.shape(getattr(state, name))}')
        self._write_state(layer, NeuronState(quantise_state(state.current),
                                             quantise_state(state.voltage)))

    def _check_layer(self, layer: int) -> tuple[int, ...]:
        if not 0 <= layer < len(self.layer_shapes):
            raise RuntimeInputError(
                f'layer {layer} does not exist; the network has {len(self.layer_shapes)}')
        return self.layer_shapes[layer]

    @abc.abstractmethod
    def _run(self, spikes: np.ndarray) -> np.ndarray: ...

    @abc.abstractmethod
    def _read_state(self, layer: int) -> NeuronState: ...

    @abc.abstractmethod
    def _write_state(self, layer: int, state: NeuronState) -> None: ...

    @abc.abstractmethod
    def reset(self) -> None:
        """Zero every state and every spike in flight, as at power-up."""

    def close(self) -> None:  # noqa: B027 (optional: only Lava holds processes)
        """Release what the runtime holds (Lava's processes); the torch one holds nothing."""

    def __enter__(self) -> SnnRuntime:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
