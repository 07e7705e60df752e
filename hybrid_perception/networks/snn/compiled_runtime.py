"""The exported network (NetX HDF5) run on the CPU with numpy and the compiled CUBA neurons:
no torch, no SLAYER, the same spikes and states as both.

Why it is exact: the weights are the chip's integers over ``WEIGHT_SCALE`` (a power of two)
and the inputs are 0 or 1, so every partial sum of a layer's synaptic input is a multiple of
1/64 far inside float32's 24-bit mantissa: however a convolution adds them up (SLAYER's
conv3d, or the matrix product here), the float32 result is the same number. The neurons are
:mod:`.fixed_point`'s, SLAYER's arithmetic step for step. Windows are aligned with Loihi as
:class:`~.torch_runtime.TorchRuntime` aligns them (every synapse one step late, the window's
last input held for the next), and both are tested equal on every shipped network.

Start-up is an HDF5 read (a node running it imports neither torch nor SLAYER). A window costs,
per convolution, one compiled call that scatters each input spike through the kernel (work in
proportion to the spikes, as on the chip) and steps the neurons, or for a busy input a matrix
product over patches and the neurons' loop; per dense layer a matrix product and the loop.
Inside, a convolution's neurons are kept channels last, (rows, columns, channels), so that the
scatter adds a synapse's output channels side by side and the neurons' loop reads them in the
same order; what comes out (spikes, states) is in the layer's (C, H, W) order.
"""

from __future__ import annotations

from pathlib import Path

import numba
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from hybrid_perception.errors import HybridPerceptionError
from hybrid_perception.networks.snn.fixed_point import (
    THRESHOLD_EPS,
    integrate,
    load_state,
    neuron_constants,
    neurons_step,
    store_state,
)
from hybrid_perception.networks.snn.netx import WEIGHT_SCALE, NetxLayer, read_layers, read_spec
from hybrid_perception.networks.snn.runtime import NeuronState, SnnRuntime

__all__ = ['CompiledRuntime']


class CompiledRuntime(SnnRuntime):
    """A NetX export stepped window by window on the CPU (see the module's docstring)."""

    #: a convolution's input busier than this share of spikes, over at least
    #: ``dense_min_steps`` steps, is computed as a matrix product (:meth:`_im2col`), else
    #: scattered spike by spike. Measured on the shipped networks (2026-12-04, one thread):
    #: stepped one step a call, as the live nodes step, the scatter is the faster at every
    #: density, 1.3-2.5x (pose at 0.1 input density: 116 against 175 µs a step; the gesture
    #: SNN at 0.7: 136 against 208); the gesture head's window of 4 steps too (119 against
    #: 143 µs at 0.7); over 8 steps or more the product wins above ~0.5 on the larger layers
    #: (digits, 8 steps at full density: 914 against 1,123 µs; 22 steps: 1,902 against 2,749)
    dense_above = 0.5
    dense_min_steps = 8

    def __init__(self, path: str | Path, window_steps: int) -> None:
        super().__init__(read_spec(path), window_steps)
        self.path = Path(path)
        self.layers = read_layers(path)
        kinds = [type(layer).__name__[:-5].lower() for layer in self.spec.layers]
        stored = [layer.kind for layer in self.layers]
        if stored != kinds:
            raise HybridPerceptionError(f'{path}: its layers {stored} are not its spec\'s '
                                        f'{kinds}')
        #: per layer, the shape its neurons are kept in: (R, C', O) for a convolution
        self._kept = [(shape[1], shape[2], shape[0]) if layer.kind == 'conv' else shape
                      for layer, shape in zip(self.layers, self.layer_shapes, strict=True)]
        #: per dense layer: the synapse as an (inputs, outputs) matrix in float units
        self._matrices = [np.ascontiguousarray(layer.weight.T / np.float32(WEIGHT_SCALE))
                          if layer.kind == 'dense' else None for layer in self.layers]
        #: per conv layer: the kernel as (in channels, k, k, out channels) in float units, the
        #: output channels of one synapse side by side for the scatter
        self._kernels = [np.ascontiguousarray(layer.weight.transpose(1, 2, 3, 0)
                                              / np.float32(WEIGHT_SCALE))
                         if layer.kind == 'conv' else None for layer in self.layers]
        inputs = [self.spec.input_shape, *self.layer_shapes[:-1]]
        #: per conv layer: which outputs each input row and column reaches (:func:`_reach`)
        self._reach = [(*_reach(shape_in[1], shape[1], layer), *_reach(shape_in[2], shape[2],
                                                                         layer))
                       if layer.kind == 'conv' else None
                       for layer, shape_in, shape in zip(self.layers, inputs, self.layer_shapes,
                                                         strict=True)]
        self._inputs = inputs
        self._thresholds = [layer.threshold_mantissa / WEIGHT_SCALE + THRESHOLD_EPS
                            for layer in self.layers]
        #: per layer, its neurons' constants for :func:`_conv_layer`, as :func:`integrate`'s
        self._neurons = [neuron_constants(layer.current_decay, layer.voltage_decay, threshold)
                         for layer, threshold in zip(self.layers, self._thresholds, strict=True)]
        self.layer_spikes: list[np.ndarray] = []
        self.reset()

    def reset(self) -> None:
        sizes = [int(np.prod(shape)) for shape in self.layer_shapes]
        self._current = [np.zeros(n, np.float32) for n in sizes]
        self._voltage = [np.zeros(n, np.float32) for n in sizes]
        #: per layer, the last step of its input's previous window: Loihi's synaptic delay
        #: (every layer's step t takes its input's step t - 1)
        self._held = [np.zeros(shape, np.float32) for shape in self._inputs]

    def step_ahead(self, spikes: np.ndarray) -> np.ndarray:
        """:meth:`step` one step sooner: input step t -> output step t + 1. Every layer takes
        its input one step late (Loihi's synaptic delay), so output step t + 1 is known once
        input step t is, and a live caller has a window's last output step before the window's
        last input arrives (#23). The network's course is :meth:`step`'s: after
        :meth:`reset`, ``step_ahead`` of an empty step gives output step 0, then each call the
        next (tested equal)."""
        x = self._window(spikes)
        self._held[0][...] = x[0]                    # what the first step takes: this input
        return self._run(np.concatenate([x[1:], x[-1:]]))    # the last is only held

    def _run(self, spikes: np.ndarray) -> np.ndarray:
        x = spikes
        self.layer_spikes = []
        for i, layer in enumerate(self.layers):
            steps, held = len(x), self._held[i]
            if layer.kind == 'conv' and (steps < self.dense_min_steps
                                         or x.sum() <= x.size * self.dense_above):
                kept = np.empty((steps, *self._kept[i]), np.float32)
                _conv_layer(x, held, self._kernels[i], *self._reach[i], self._current[i],
                            self._voltage[i], kept, *self._neurons[i])
            else:
                delayed = np.concatenate([held[None], x[:-1]])
                held[...] = x[-1]
                z = self._synaptic_input(i, layer, delayed)   # (T, neurons), kept order
                kept = integrate(z.T, self._current[i], self._voltage[i], layer.current_decay,
                                 layer.voltage_decay, self._thresholds[i]).T
            x = self._layer_order(i, kept.reshape(steps, *self._kept[i]))
            self.layer_spikes.append(x)
        return x

    def _layer_order(self, i: int, kept: np.ndarray) -> np.ndarray:
        """(T, *kept) -> (T, *layer shape), C order."""
        if self.layers[i].kind == 'conv':
            kept = kept.transpose(0, 3, 1, 2)
        return np.ascontiguousarray(kept)

    def _synaptic_input(self, i: int, layer: NetxLayer, x: np.ndarray) -> np.ndarray:
        """(T, *input) spikes -> (T, neurons) float32 input current, the neurons in the order
        they are kept."""
        if layer.kind == 'dense':
            return x.reshape(len(x), -1) @ self._matrices[i]
        return self._im2col(i, layer, x)

    def _im2col(self, i: int, layer: NetxLayer, x: np.ndarray) -> np.ndarray:
        """The convolution as one matrix product over every k x k patch: for busy inputs,
        where the scatter's work (spikes x fan-out) exceeds the dense product's at BLAS speed.
        The product comes out channels last, as the neurons are kept."""
        steps, k, stride, pad = len(x), layer.weight.shape[-1], layer.stride, layer.padding
        padded = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
        windows = sliding_window_view(padded, (k, k), axis=(2, 3))[:, :, ::stride, ::stride]
        _, channels, rows, cols = windows.shape[:4]
        patches = windows.transpose(0, 2, 3, 1, 4, 5).reshape(steps * rows * cols,
                                                              channels * k * k)
        kernel = self._kernels[i]   # (C, k, k, O): as a (C k k, O) matrix, a view
        return (patches @ kernel.reshape(-1, kernel.shape[-1])).reshape(steps, -1)

    def _read_state(self, layer: int) -> NeuronState:
        return NeuronState(*(self._layer_order(layer, state.reshape(1, *self._kept[layer]))[0]
                             for state in (self._current[layer], self._voltage[layer])))

    def _write_state(self, layer: int, state: NeuronState) -> None:
        def kept(values: np.ndarray) -> np.ndarray:
            values = np.asarray(values, np.float32)
            if self.layers[layer].kind == 'conv':
                values = values.transpose(1, 2, 0)
            return np.ascontiguousarray(values).reshape(-1).copy()
        self._current[layer] = kept(state.current)
        self._voltage[layer] = kept(state.voltage)


def _reach(size: int, out_size: int, layer: NetxLayer) -> tuple[np.ndarray, np.ndarray,
                                                                np.ndarray]:
    """Along one axis of a convolution: for each input index, the kernel offsets that connect
    it to an output and those outputs' indices ((size, ceil(k / stride)) each, the first
    ``count`` of a row used) and the counts: the scatter's loops then visit only synapses
    that exist, with no division in them."""
    k, stride, pad = layer.weight.shape[-1], layer.stride, layer.padding
    width = -(-k // stride)
    offsets = np.zeros((size, width), np.int64)
    outputs = np.zeros((size, width), np.int64)
    counts = np.zeros(size, np.int64)
    for h in range(size):
        for i in range(k):
            r = h + pad - i
            if r >= 0 and r % stride == 0 and r // stride < out_size:
                offsets[h, counts[h]], outputs[h, counts[h]] = i, r // stride
                counts[h] += 1
    return offsets, outputs, counts


@numba.njit(cache=True, nogil=True)
def _conv_layer(x, held, kernel, row_offsets, rows_out, row_counts, col_offsets, cols_out,
                col_counts, current, voltage, spikes, current_keep, voltage_keep, scale,
                threshold):  # pragma: no cover - compiled
    """One window of a convolution's neurons, channels last: step t scatters each spike of
    its input's step t - 1 (``held`` for the first step; left holding ``x``'s last) through
    ``kernel`` (C, k, k, O) to the outputs it reaches (one vector addition of O channels a
    synapse), then steps the neurons (:func:`~.fixed_point.neurons_step`); ``current`` and
    ``voltage`` (float32, kept order) hold the states in and out, ``spikes`` (T, R, C', O)
    is written."""
    steps, channels_in, height, width = x.shape
    rows, cols, channels_out = spikes.shape[1:]
    neurons = rows * cols * channels_out
    inverse = np.float32(1.0) / scale
    u = np.empty(neurons, np.int64)
    v = np.empty(neurons, np.int64)
    u_out = np.zeros(neurons, np.float32)
    z = np.empty((rows, cols, channels_out), np.float32)
    load_state(current, voltage, u, v, scale)
    for t in range(steps):
        z[...] = 0
        source = held if t == 0 else x[t - 1]
        for c in range(channels_in):
            for h in range(height):
                for w in range(width):
                    if source[c, h, w] == 0:
                        continue
                    for a in range(row_counts[h]):
                        i, r = row_offsets[h, a], rows_out[h, a]
                        for b in range(col_counts[w]):
                            into = z[r, cols_out[w, b]]
                            weights = kernel[c, i, col_offsets[w, b]]
                            for o in range(channels_out):
                                into[o] += weights[o]
        neurons_step(z.reshape(neurons), u, v, u_out, spikes[t].reshape(neurons), current_keep,
                     voltage_keep, scale, inverse, threshold)
    store_state(u_out, v, current, voltage, inverse)
    held[...] = x[steps - 1]
