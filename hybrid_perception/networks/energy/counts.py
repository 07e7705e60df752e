"""What the hardware would do, counted from the actual activity, and the totals the energy
models price.

For an SNN on a neuromorphic chip: synaptic operations (every spike times its fan-out into
the next layer), neuron updates (every neuron every step; "active" when it received input
that step) and spikes sent, counted here from a run's spikes with numpy, so a node counts
without torch. An ANN's multiply-accumulates are :mod:`.operations`' (torch) or a spec's
layer shapes'.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numba
import numpy as np

from hybrid_perception.networks.spec import ConvLayer, DenseLayer, NetworkSpec

__all__ = ['OpCounter', 'OpCounts', 'arriving_counts', 'count_snn_ops', 'fan_out']


@dataclass(frozen=True)
class OpCounts:
    """Operation totals the energy models price; ``per_layer`` holds each layer's own counts,
    so an estimate can say where the energy goes."""

    synaptic_op: float = 0
    neuron_update_active: float = 0
    neuron_update_inactive: float = 0
    spike_out: float = 0
    mac: float = 0
    per_layer: dict[str, OpCounts] = field(default_factory=dict)

    def as_dict(self) -> dict[str, float]:
        return {name: getattr(self, name) for name in _TOTALS}

    def __add__(self, other: OpCounts) -> OpCounts:
        """Counts of two runs together (layer by layer)."""
        layers = {name: self.per_layer.get(name, OpCounts()) + other.per_layer.get(name,
                                                                                  OpCounts())
                  for name in {**self.per_layer, **other.per_layer}}
        return OpCounts(**{name: getattr(self, name) + getattr(other, name) for name in _TOTALS},
                        per_layer=layers)

    def scaled(self, factor: float) -> OpCounts:
        """Per-run averages from totals, e.g. ``total.scaled(1 / windows)``."""
        return OpCounts(**{name: getattr(self, name) * factor for name in _TOTALS},
                        per_layer={k: v.scaled(factor) for k, v in self.per_layer.items()})


_TOTALS = ('synaptic_op', 'neuron_update_active', 'neuron_update_inactive', 'spike_out', 'mac')


def count_snn_ops(spec: NetworkSpec, input_spikes: np.ndarray,
                  layer_spikes: Sequence[np.ndarray]) -> OpCounts:
    """Count from the input (T, C, H, W) and each layer's spikes (T, *shape) of one run."""
    per_layer: dict[str, OpCounts] = {}
    presynaptic = np.asarray(input_spikes) > 0
    for i, (layer, spikes) in enumerate(zip(spec.layers, layer_spikes, strict=True)):
        spikes = np.asarray(spikes) > 0
        per_layer[f'layer{i}'] = _layer_ops(layer, presynaptic, spikes)
        presynaptic = spikes
    return replace(sum(per_layer.values(), OpCounts()), per_layer=per_layer)


class OpCounter:
    """The operations of every run of a runtime, summed, for a mean per window or per step.

    Counts from every layer's spikes, which each runtime keeps as ``layer_spikes`` (the Lava
    runtime from the compiled runtime it steps alongside); a runtime without them counts
    nothing (and the means are None). :meth:`add` only keeps a run's spikes (the runtime makes
    new arrays every run): they are counted together when a total is read (a node's
    ``/diagnostics``, once a second) or ``PENDING`` runs are waiting, so counting is off the
    path each window's output takes, and many runs cost one count (every figure is per step,
    so runs counted together count the same as one by one).
    """

    #: runs kept before they are counted anyway: a bound on the memory they hold
    PENDING = 256

    def __init__(self, spec: NetworkSpec) -> None:
        self.spec = spec
        self._ops = OpCounts()
        self._pending: list[tuple[np.ndarray, list[np.ndarray]]] = []
        self.windows = 0
        self.steps = 0

    def add(self, runtime, input_spikes: np.ndarray, windows: int = 1) -> None:
        """Keep a run's spikes; ``windows``: how many windows the run ends (0 for the first
        bins of a window run bin by bin)."""
        layer_spikes = getattr(runtime, 'layer_spikes', None)
        if layer_spikes:
            self.add_spikes(input_spikes, layer_spikes, windows)

    def add_spikes(self, input_spikes: np.ndarray, layer_spikes: Sequence[np.ndarray],
                   windows: int = 1) -> None:
        """:meth:`add` from the steps' input and every layer's spikes in those steps."""
        self._pending.append((np.asarray(input_spikes), list(layer_spikes)))
        self.windows += windows
        self.steps += len(input_spikes)
        if len(self._pending) >= self.PENDING:
            self._count_pending()

    @property
    def ops(self) -> OpCounts:
        """Every run's operations, summed."""
        self._count_pending()
        return self._ops

    def _count_pending(self) -> None:
        if self._pending:
            inputs, layers = zip(*self._pending, strict=True)
            self._pending = []
            self._ops = self._ops + count_snn_ops(
                self.spec, np.concatenate(inputs),
                [np.concatenate(spikes) for spikes in zip(*layers, strict=True)])

    def __add__(self, other: OpCounter) -> OpCounter:
        """Two runtimes' counts as one (the two cameras' SNNs of a live graph)."""
        total = OpCounter(self.spec)
        total._ops = self.ops + other.ops
        total.windows = self.windows + other.windows
        total.steps = self.steps + other.steps
        return total

    def per_window(self) -> OpCounts | None:
        return self.ops.scaled(1 / self.windows) if self.windows else None

    def per_step(self) -> OpCounts | None:
        return self.ops.scaled(1 / self.steps) if self.steps else None


def arriving_counts(layer: ConvLayer | DenseLayer, presynaptic: np.ndarray) -> np.ndarray:
    """Spikes landing on each group of neurons that share a receptive field, per step:
    (S, C, H, W) or (S, n) presynaptic -> (S, H', W') for a conv (every spike in a k x k window,
    any channel), (S,) for a dense layer; :func:`.operations.arriving_spikes` without torch."""
    presynaptic = np.asarray(presynaptic)
    if not isinstance(layer, ConvLayer):
        return presynaptic.reshape(len(presynaptic), -1).sum(1, dtype=np.int64)
    per_pixel = presynaptic.sum(1, dtype=np.int64)
    rows, cols = layer.output_shape(presynaptic.shape[1:])[1:]
    out = np.empty((len(per_pixel), rows, cols), np.int64)
    _window_sums(per_pixel, layer.kernel, layer.stride, layer.padding, out)
    return out


@numba.njit(cache=True, nogil=True)
def _window_sums(per_pixel, kernel, stride, pad, out):  # pragma: no cover - compiled
    """Each output position's k x k window of ``per_pixel`` summed (zeros beyond the edges)."""
    height, width = per_pixel.shape[1], per_pixel.shape[2]
    for s in range(out.shape[0]):
        for r in range(out.shape[1]):
            for c in range(out.shape[2]):
                total = 0
                for i in range(r * stride - pad, r * stride - pad + kernel):
                    if 0 <= i < height:
                        for j in range(c * stride - pad, c * stride - pad + kernel):
                            if 0 <= j < width:
                                total += per_pixel[s, i, j]
                out[s, r, c] = total


def fan_out(layer: ConvLayer | DenseLayer) -> int:
    """The neurons one arriving spike reaches: a conv's channels, a dense layer's units."""
    return layer.channels if isinstance(layer, ConvLayer) else layer.units


def _layer_ops(layer, presynaptic: np.ndarray, spikes: np.ndarray) -> OpCounts:
    steps = len(spikes)
    neurons = int(np.prod(spikes.shape[1:]))
    arriving = arriving_counts(layer, presynaptic)
    active = int((arriving > 0).sum()) * fan_out(layer)
    return OpCounts(synaptic_op=int(arriving.sum()) * fan_out(layer), neuron_update_active=active,
                    neuron_update_inactive=neurons * steps - active, spike_out=int(spikes.sum()))
