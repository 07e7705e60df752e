"""The exported network (NetX HDF5) run on the CPU with numpy and the compiled CUBA neurons:
no torch, no SLAYER, the same spikes and states as both.

Why it is exact: the weights are the chip's integers over ``WEIGHT_SCALE`` (a power of two)
and the inputs are 0 or 1, so every partial sum of a layer's synaptic input is a multiple of
1/64 far inside float32's 24-bit mantissa: however a convolution adds them up (SLAYER's
conv3d, or the matrix product here), the float32 result is the same number. The neurons are
:mod:`.fixed_point`'s, SLAYER's arithmetic step for step. Windows are aligned with Loihi as
:class:`~.torch_runtime.TorchRuntime` aligns them (every synapse one step late, the window's
last input held for the next), and both are tested equal on every shipped network.

Start-up is an HDF5 read (a node running it imports neither torch nor SLAYER) and a window
costs a few matrix products and one compiled loop per layer.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from hybrid_perception.errors import HybridPerceptionError
from hybrid_perception.networks.snn.fixed_point import THRESHOLD_EPS, integrate
from hybrid_perception.networks.snn.netx import WEIGHT_SCALE, NetxLayer, read_layers, read_spec
from hybrid_perception.networks.snn.runtime import NeuronState, SnnRuntime

__all__ = ['CompiledRuntime']


class CompiledRuntime(SnnRuntime):
    """A NetX export stepped window by window on the CPU (see the module's docstring)."""

    def __init__(self, path: str | Path, window_steps: int) -> None:
        super().__init__(read_spec(path), window_steps)
        self.path = Path(path)
        self.layers = read_layers(path)
        kinds = [type(layer).__name__[:-5].lower() for layer in self.spec.layers]
        stored = [layer.kind for layer in self.layers]
        if stored != kinds:
            raise HybridPerceptionError(f'{path}: its layers {stored} are not its spec\'s '
                                        f'{kinds}')
        #: per layer: the synapse as a matrix, (inputs, outputs) in float units
        self._matrices = [np.ascontiguousarray(
            layer.weight.reshape(layer.weight.shape[0], -1).T / np.float32(WEIGHT_SCALE))
            for layer in self.layers]
        self._thresholds = [layer.threshold_mantissa / WEIGHT_SCALE + THRESHOLD_EPS
                            for layer in self.layers]
        #: per conv layer: its input with the zero border, reused window after window
        inputs = [tuple(self.spec.input_shape), *self.layer_shapes[:-1]]
        self._padded = [np.zeros((window_steps, shape[0], shape[1] + 2 * layer.padding,
                                  shape[2] + 2 * layer.padding), np.float32)
                        if layer.kind == 'conv' else None
                        for layer, shape in zip(self.layers, inputs, strict=True)]
        self.layer_spikes: list[np.ndarray] = []
        self.reset()

    def reset(self) -> None:
        sizes = [int(np.prod(shape)) for shape in self.layer_shapes]
        self._current = [np.zeros(n, np.float32) for n in sizes]
        self._voltage = [np.zeros(n, np.float32) for n in sizes]
        self._in_flight = [np.zeros(shape, np.float32) for shape in self.layer_shapes[:-1]]
        self._held_input = np.zeros(self.spec.input_shape, np.float32)

    def _run(self, spikes: np.ndarray) -> np.ndarray:
        x = np.concatenate([self._held_input[None], spikes[:-1]])
        self._held_input = spikes[-1].copy()
        self.layer_spikes = []
        last = len(self.layers) - 1
        for i, (layer, shape) in enumerate(zip(self.layers, self.layer_shapes, strict=True)):
            z = self._synaptic_input(i, layer, x)
            out = integrate(z, self._current[i], self._voltage[i], layer.current_decay,
                            layer.voltage_decay, self._thresholds[i])
            out = np.ascontiguousarray(out.T).reshape(len(x), *shape)
            self.layer_spikes.append(out)
            if i < last:  # Loihi's synaptic delay: the layer's spikes arrive a step later
                x = np.concatenate([self._in_flight[i][None], out[:-1]])
                self._in_flight[i] = out[-1].copy()
            else:
                x = out
        return x

    def _synaptic_input(self, i: int, layer: NetxLayer, x: np.ndarray) -> np.ndarray:
        """(T, *input) spikes -> (neurons, T) float32 input current, the neurons in the layer's
        (C, H, W) or (units,) order."""
        steps = len(x)
        if layer.kind == 'dense':
            return np.ascontiguousarray((x.reshape(steps, -1) @ self._matrices[i]).T)
        k, stride, pad = layer.weight.shape[-1], layer.stride, layer.padding
        padded = self._padded[i]
        padded[:, :, pad:padded.shape[2] - pad, pad:padded.shape[3] - pad] = x
        windows = sliding_window_view(padded, (k, k), axis=(2, 3))[:, :, ::stride, ::stride]
        _, channels, rows, cols = windows.shape[:4]
        patches = windows.transpose(0, 2, 3, 1, 4, 5).reshape(steps * rows * cols,
                                                              channels * k * k)
        current = (patches @ self._matrices[i]).reshape(steps, rows * cols, -1)
        return np.ascontiguousarray(current.transpose(2, 1, 0)).reshape(-1, steps)

    def _read_state(self, layer: int) -> NeuronState:
        shape = self.layer_shapes[layer]
        return NeuronState(self._current[layer].reshape(shape).copy(),
                           self._voltage[layer].reshape(shape).copy())

    def _write_state(self, layer: int, state: NeuronState) -> None:
        self._current[layer] = np.asarray(state.current, np.float32).reshape(-1).copy()
        self._voltage[layer] = np.asarray(state.voltage, np.float32).reshape(-1).copy()
