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
costs, per layer, one compiled loop for the neurons and either a compiled scatter of the input
spikes through a convolution's kernel (work in proportion to the spikes, as on the chip) or a
dense layer's matrix product.
"""

from __future__ import annotations

from pathlib import Path

import numba
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from hybrid_perception.errors import HybridPerceptionError
from hybrid_perception.networks.snn.fixed_point import THRESHOLD_EPS, integrate
from hybrid_perception.networks.snn.netx import WEIGHT_SCALE, NetxLayer, read_layers, read_spec
from hybrid_perception.networks.snn.runtime import NeuronState, SnnRuntime

__all__ = ['CompiledRuntime']


class CompiledRuntime(SnnRuntime):
    """A NetX export stepped window by window on the CPU (see the module's docstring)."""

    #: a convolution's input busier than this share of spikes is computed as a matrix
    #: product (:meth:`_im2col`), else scattered spike by spike: measured on the shipped
    #: networks' convolutions, the scatter is faster up to 0.3 and the two are even near 0.5
    dense_above = 0.5

    def __init__(self, path: str | Path, window_steps: int) -> None:
        super().__init__(read_spec(path), window_steps)
        self.path = Path(path)
        self.layers = read_layers(path)
        kinds = [type(layer).__name__[:-5].lower() for layer in self.spec.layers]
        stored = [layer.kind for layer in self.layers]
        if stored != kinds:
            raise HybridPerceptionError(f'{path}: its layers {stored} are not its spec\'s '
                                        f'{kinds}')
        #: per dense layer: the synapse as an (inputs, outputs) matrix in float units
        self._matrices = [np.ascontiguousarray(layer.weight.T / np.float32(WEIGHT_SCALE))
                          if layer.kind == 'dense' else None for layer in self.layers]
        #: per conv layer: the kernel as (in channels, k, k, out channels) in float units, the
        #: output channels of one synapse side by side for the scatter
        self._kernels = [np.ascontiguousarray(layer.weight.transpose(1, 2, 3, 0)
                                              / np.float32(WEIGHT_SCALE))
                         if layer.kind == 'conv' else None for layer in self.layers]
        self._thresholds = [layer.threshold_mantissa / WEIGHT_SCALE + THRESHOLD_EPS
                            for layer in self.layers]
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
            z = self._synaptic_input(i, layer, x)          # (T, neurons), C order
            out = integrate(z.T, self._current[i], self._voltage[i], layer.current_decay,
                            layer.voltage_decay, self._thresholds[i]).T.reshape(len(x), *shape)
            self.layer_spikes.append(out)
            if i < last:  # Loihi's synaptic delay: the layer's spikes arrive a step later
                x = np.concatenate([self._in_flight[i][None], out[:-1]])
                self._in_flight[i] = out[-1].copy()
            else:
                x = out
        return x

    def _synaptic_input(self, i: int, layer: NetxLayer, x: np.ndarray) -> np.ndarray:
        """(T, *input) spikes -> (T, neurons) float32 input current, the neurons in the layer's
        (C, H, W) or (units,) order. A convolution is scattered from each input spike, as the
        chip does it: the inputs are sparse, and every order of the additions gives the same
        float32 sums (the module's docstring)."""
        steps = len(x)
        if layer.kind == 'dense':
            return x.reshape(steps, -1) @ self._matrices[i]
        if x.sum() > x.size * self.dense_above:   # spikes are 0 or 1: the sum counts them
            return self._im2col(i, layer, x)
        channels, rows, cols = self.layer_shapes[i]
        current = np.zeros((steps, rows, cols, channels), np.float32)
        _scatter_conv(np.ascontiguousarray(x), self._kernels[i], layer.stride, layer.padding,
                      current)
        return np.ascontiguousarray(current.transpose(0, 3, 1, 2)).reshape(steps, -1)

    def _im2col(self, i: int, layer: NetxLayer, x: np.ndarray) -> np.ndarray:
        """The convolution as one matrix product over every k x k patch: for busy inputs,
        where the scatter's work (spikes x fan-out) exceeds the dense product's at BLAS speed."""
        steps, k, stride, pad = len(x), layer.weight.shape[-1], layer.stride, layer.padding
        padded = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
        windows = sliding_window_view(padded, (k, k), axis=(2, 3))[:, :, ::stride, ::stride]
        _, channels, rows, cols = windows.shape[:4]
        patches = windows.transpose(0, 2, 3, 1, 4, 5).reshape(steps * rows * cols,
                                                              channels * k * k)
        kernel = self._kernels[i]   # (C, k, k, O): as a (C k k, O) matrix, a view
        current = (patches @ kernel.reshape(-1, kernel.shape[-1])).reshape(steps, rows * cols,
                                                                            -1)
        return np.ascontiguousarray(current.transpose(0, 2, 1)).reshape(steps, -1)

    def _read_state(self, layer: int) -> NeuronState:
        shape = self.layer_shapes[layer]
        return NeuronState(self._current[layer].reshape(shape).copy(),
                           self._voltage[layer].reshape(shape).copy())

    def _write_state(self, layer: int, state: NeuronState) -> None:
        self._current[layer] = np.asarray(state.current, np.float32).reshape(-1).copy()
        self._voltage[layer] = np.asarray(state.voltage, np.float32).reshape(-1).copy()


@numba.njit(cache=True, nogil=True)
def _scatter_conv(x, kernel, stride, pad, out):  # pragma: no cover - compiled
    """``out`` (T, R, C', O) += the convolution of the spikes ``x`` (T, C, H, W): each input
    spike adds its synapses' weights (``kernel`` (C, k, k, O)) to the outputs it reaches, the
    output channels side by side (one vector addition a synapse)."""
    k, channels_out = kernel.shape[1], kernel.shape[3]
    rows, cols = out.shape[1], out.shape[2]
    for t in range(x.shape[0]):
        for c in range(x.shape[1]):
            for h in range(x.shape[2]):
                for w in range(x.shape[3]):
                    if x[t, c, h, w] == 0:
                        continue
                    for i in range(k):
                        r = h + pad - i
                        if r < 0 or r % stride != 0 or r // stride >= rows:
                            continue
                        for j in range(k):
                            q = w + pad - j
                            if q < 0 or q % stride != 0 or q // stride >= cols:
                                continue
                            for o in range(channels_out):
                                out[t, r // stride, q // stride, o] += kernel[c, i, j, o]
