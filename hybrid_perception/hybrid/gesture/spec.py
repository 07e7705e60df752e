"""H1's model description, without the model: the layer stack, where it is cut, the interval,
read from YAML (``specs/``) or a model folder's ``model.yaml``.

Kept apart from :mod:`.model` (torch, SLAYER) so the nodes that run no torch model (the
accumulator; the ANN tail on onnxruntime) start without importing torch.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from hybrid_perception.networks.spec import (
    ConvLayer,
    DenseLayer,
    NetworkSpec,
    NeuronSpec,
    SpecError,
    find_spec_file,
    read_yaml_mapping,
)

__all__ = ['BUILTIN_HYBRID_SPECS', 'READOUT_GAIN', 'HybridSpec', 'load_hybrid_spec']

_SPECS_DIR = Path(__file__).parent / 'specs'
BUILTIN_HYBRID_SPECS = tuple(sorted(p.stem for p in _SPECS_DIR.glob('*.yaml')))
#: Spike counts become logits of an all-SNN classifier as ``count * READOUT_GAIN / interval``:
#: a firing rate of 1 is a logit of 8, enough for a confident softmax.
READOUT_GAIN = 8.0


@dataclass(frozen=True)
class HybridSpec:
    """The layer stack, where it is cut (``spiking`` = x), and the accumulation interval I.

    ``bias``: whether the ANN tail's layers have biases (spiking layers never do); an all-ANN
    model trained without them converts into an SNN that SLAYER/NetX can deploy (H3).
    ``repeats``: how many times the SNN plays each interval's I bins before the accumulator
    counts its output; 1 for trained SNNs, more for a converted one, whose rate code needs more
    time steps per decision than the interval has bins.
    ``from_rest``: each interval is a separate inference, the SNN starting from rest and
    followed by silent steps until its last spikes reach the output (as a converted network is
    scored). A converted network needs it: its integrate-and-fire neurons do not leak, so in an
    unbroken stream an inhibited neuron's voltage sinks without bound and it stays silent long
    after its input returns (measured: 0.14 as one stream against 0.72 clip by clip).
    """

    input_shape: tuple[int, int, int]
    layers: tuple[ConvLayer | DenseLayer, ...]
    classes: tuple[str, ...]
    spiking: int
    interval: int
    neuron: NeuronSpec = field(default_factory=NeuronSpec)
    bias: bool = True
    repeats: int = 1
    from_rest: bool = False

    def __post_init__(self) -> None:
        if not 0 <= self.spiking <= len(self.layers):
            raise SpecError(f'spiking must be 0..{len(self.layers)} layers, got {self.spiking}')
        if self.interval < 1:
            raise SpecError(f'interval must be at least 1 time step, got {self.interval}')
        if self.repeats < 1:
            raise SpecError(f'repeats must be at least 1, got {self.repeats}')
        stack = self.stack  # checks the shapes, and that no conv follows a dense layer
        if stack.output_shape != (len(self.classes),):
            raise SpecError(f'the last layer must have one unit per class ({len(self.classes)}),'
                            f' got output shape {stack.output_shape}')

    @property
    def stack(self) -> NetworkSpec:
        """All the layers as if every one spiked."""
        return NetworkSpec(self.input_shape, self.layers, self.neuron)

    @property
    def name(self) -> str:
        """The seed's naming: S<spiking layers>A<ANN layers>."""
        return f'S{self.spiking}A{len(self.layers) - self.spiking}'

    @property
    def kind(self) -> str:
        return {0: 'ann', len(self.layers): 'snn'}.get(self.spiking, 'hybrid')

    @property
    def window_steps(self) -> int:
        """SNN time steps per decision: the interval's bins played ``repeats`` times, and with
        ``from_rest`` the silent steps after them."""
        flush = self.snn_spec.flush_steps if self.from_rest and self.snn_spec else 0
        return self.interval * self.repeats + flush

    def play(self, window: np.ndarray) -> np.ndarray:
        """One live interval's (I, ...) input as the SNN plays it, (window_steps, ...): its
        bins ``repeats`` times, then with ``from_rest`` the silent steps
        (:func:`.model.played_windows` does the same to a batch in torch)."""
        played = np.concatenate([window] * self.repeats) if self.repeats > 1 else window
        silence = np.zeros((self.window_steps - len(played), *window.shape[1:]), window.dtype)
        return np.concatenate([played, silence]) if len(silence) else played

    @property
    def snn_spec(self) -> NetworkSpec | None:
        if self.spiking == 0:
            return None
        return NetworkSpec(self.input_shape, self.layers[:self.spiking], self.neuron)

    @property
    def feature_shape(self) -> tuple[int, ...]:
        """What the accumulator outputs: the last spiking layer's shape, or the input's."""
        snn = self.snn_spec
        return snn.output_shape if snn else tuple(self.input_shape)

    @property
    def ann_macs(self) -> int:
        """Multiply-accumulates of one pass of the ANN tail over an interval's counts (0 for
        an all-SNN model), from the layer shapes: what the ANN side's energy is priced by, with
        no torch model to run."""
        shape, total = self.feature_shape, 0
        for layer in self.layers[self.spiking:]:
            total += layer.macs(shape)
            shape = layer.output_shape(shape)
        return total

    def cut(self, spiking: int, interval: int | None = None) -> HybridSpec:
        """The same stack cut elsewhere (the SxAy sweep)."""
        return replace(self, spiking=spiking, interval=interval or self.interval)

    def to_dict(self) -> dict[str, Any]:
        return {**self.stack.to_dict(), 'classes': list(self.classes), 'spiking': self.spiking,
                'interval': self.interval, 'bias': self.bias, 'repeats': self.repeats,
                'from_rest': self.from_rest}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> HybridSpec:
        stack = NetworkSpec.from_dict(data)
        try:
            return cls(stack.input_shape, stack.layers, tuple(str(c) for c in data['classes']),
                       int(data['spiking']), int(data['interval']), stack.neuron,
                       bool(data.get('bias', True)), int(data.get('repeats', 1)),
                       bool(data.get('from_rest', False)))
        except (KeyError, TypeError, ValueError) as err:
            raise SpecError(f'invalid hybrid spec: {err!r}') from err


def load_hybrid_spec(name_or_path: str | Path) -> HybridSpec:
    """A hybrid spec from YAML, or one of :data:`BUILTIN_HYBRID_SPECS` by name."""
    return HybridSpec.from_dict(read_yaml_mapping(find_spec_file(name_or_path, _SPECS_DIR)))
