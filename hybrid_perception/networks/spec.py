"""The declarative description of a spiking network: what a YAML file or a dataclass says.

Only what NetX can put on Loihi is expressible: CUBA LIF convolutions (strided, padded; NetX
has no pooling block, so a stride does the down-sampling) followed by CUBA LIF dense layers.
The flatten between the two is implied. Shapes are checked here, before torch or Lava see them,
so a bad spec fails with the layer it is wrong at.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from math import prod
from pathlib import Path
from typing import Any

import yaml

from hybrid_perception.errors import HybridPerceptionError

__all__ = ['BUILTIN_SPECS', 'ConvLayer', 'DenseLayer', 'NetworkSpec', 'NeuronSpec', 'SpecError',
           'find_spec_file', 'load_spec', 'read_yaml_mapping']

_SPECS_DIR = Path(__file__).parent / 'specs'
#: Specs shipped with the package, by name (``hybrid-perception train --spec motion``).
BUILTIN_SPECS = tuple(sorted(p.stem for p in _SPECS_DIR.glob('*.yaml')))


class SpecError(HybridPerceptionError):
    """A network description that cannot be built or deployed."""


@dataclass(frozen=True)
class NeuronSpec:
    """CUBA LIF parameters in SLAYER's units (threshold in weight units, decays as fractions).

    Defaults are the lava-dl tutorials' values. ``tau_grad``/``scale_grad`` shape the surrogate
    gradient only; they do not exist on the chip.
    """

    threshold: float = 1.25
    current_decay: float = 0.25
    voltage_decay: float = 0.03
    tau_grad: float = 0.03
    scale_grad: float = 3.0

    def slayer_params(self) -> dict[str, Any]:
        return {**asdict(self), 'requires_grad': False}


@dataclass(frozen=True)
class ConvLayer:
    """A spiking convolution; ``stride`` > 1 is how the network down-samples."""

    channels: int
    kernel: int = 3
    stride: int = 1
    padding: int = 1
    weight_scale: float = 2.0
    #: this layer's own threshold over the network's neuron (a converted network gives each
    #: layer its own weight scale, which is Loihi's per-layer weight exponent)
    threshold: float | None = None

    def output_shape(self, shape: tuple[int, ...]) -> tuple[int, int, int]:
        if len(shape) != 3:
            raise SpecError(f'a conv layer needs a (C, H, W) input, got {shape}')
        _, h, w = shape
        size = [(n + 2 * self.padding - self.kernel) // self.stride + 1 for n in (h, w)]
        if min(size) < 1:
            raise SpecError(f'conv kernel {self.kernel}, stride {self.stride}, padding '
                            f'{self.padding} leaves nothing of a {h}x{w} input')
        return (self.channels, size[0], size[1])

    def macs(self, shape: tuple[int, ...]) -> int:
        """Multiply-accumulates of this layer run densely (an ANN's conv) on a ``shape``
        input: every output element sums channels x kernel x kernel products."""
        return prod(self.output_shape(shape)) * shape[0] * self.kernel ** 2


@dataclass(frozen=True)
class DenseLayer:
    """A fully connected spiking layer; the first one after a conv flattens (C, H, W)."""

    units: int
    weight_scale: float = 2.0
    #: as :attr:`ConvLayer.threshold`
    threshold: float | None = None

    def output_shape(self, shape: tuple[int, ...]) -> tuple[int]:
        return (self.units,)

    def macs(self, shape: tuple[int, ...]) -> int:
        """Multiply-accumulates of this layer run densely on a ``shape`` input."""
        return self.units * prod(shape)


Layer = ConvLayer | DenseLayer
_LAYER_TYPES: dict[str, type] = {'conv': ConvLayer, 'dense': DenseLayer}


@dataclass(frozen=True)
class NetworkSpec:
    """Input shape (C, H, W), the neuron model shared by all layers (a layer may set its own
    threshold), and the layers in order."""

    input_shape: tuple[int, int, int]
    layers: tuple[Layer, ...]
    neuron: NeuronSpec = field(default_factory=NeuronSpec)

    def __post_init__(self) -> None:
        if len(self.input_shape) != 3 or min(self.input_shape) < 1:
            raise SpecError(f'input_shape must be (channels, height, width), '
                            f'got {self.input_shape}')
        if not self.layers:
            raise SpecError('a network needs at least one layer')
        seen_dense = False
        for i, layer in enumerate(self.layers):
            if isinstance(layer, ConvLayer) and seen_dense:
                raise SpecError(f'layer {i}: a conv layer cannot follow a dense layer')
            seen_dense |= isinstance(layer, DenseLayer)
        self.layer_shapes()

    def layer_shapes(self) -> list[tuple[int, ...]]:
        """The output shape of every layer, (C, H, W) for conv and (units,) for dense."""
        shapes, shape = [], tuple(self.input_shape)
        for i, layer in enumerate(self.layers):
            try:
                shape = layer.output_shape(shape)
            except SpecError as err:
                raise SpecError(f'layer {i}: {err}') from None
            shapes.append(shape)
        return shapes

    @property
    def output_shape(self) -> tuple[int, ...]:
        return self.layer_shapes()[-1]

    @property
    def flush_steps(self) -> int:
        """Silent steps after an input for its last spikes to reach the output: every layer
        delays by one step (Loihi's synaptic delay, which SLAYER's blocks model), and the
        input."""
        return len(self.layers) + 1

    def to_dict(self) -> dict[str, Any]:
        layers = [{'type': _type_name(layer), **asdict(layer)} for layer in self.layers]
        return {'input_shape': list(self.input_shape), 'neuron': asdict(self.neuron),
                'layers': layers}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NetworkSpec:
        try:
            layers = tuple(_layer_from_dict(dict(entry)) for entry in data['layers'])
            return cls(input_shape=tuple(int(n) for n in data['input_shape']),
                       layers=layers, neuron=NeuronSpec(**data.get('neuron') or {}))
        except (KeyError, TypeError, ValueError) as err:
            raise SpecError(f'invalid network spec: {err!r}') from err

    @classmethod
    def from_yaml(cls, path: str | Path) -> NetworkSpec:
        return cls.from_dict(read_yaml_mapping(path))


def load_spec(name_or_path: str | Path) -> NetworkSpec:
    """A spec from a YAML file, or one of :data:`BUILTIN_SPECS` by name."""
    return NetworkSpec.from_dict(read_yaml_mapping(find_spec_file(name_or_path, _SPECS_DIR)))


def find_spec_file(name_or_path: str | Path, builtin_dir: Path) -> Path:
    """A built-in spec (``<builtin_dir>/<name>.yaml``) by name, or a YAML file by path."""
    builtin = sorted(p.stem for p in builtin_dir.glob('*.yaml'))
    if str(name_or_path) in builtin:
        return builtin_dir / f'{name_or_path}.yaml'
    if not Path(name_or_path).is_file():
        raise SpecError(f'no spec file {name_or_path} and no built-in spec of that name '
                        f'(built-in: {", ".join(builtin)})')
    return Path(name_or_path)


def read_yaml_mapping(path: str | Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(Path(path).read_text())
    except (OSError, yaml.YAMLError) as err:
        raise SpecError(f'cannot read spec {path}: {err}') from err
    if not isinstance(data, dict):
        raise SpecError(f'{path}: expected a mapping with input_shape and layers')
    return data


def _type_name(layer: Layer) -> str:
    return next(name for name, kind in _LAYER_TYPES.items() if isinstance(layer, kind))


def _layer_from_dict(entry: dict[str, Any]) -> Layer:
    kind = entry.pop('type', None)
    if kind not in _LAYER_TYPES:
        raise ValueError(f'layer type must be one of {sorted(_LAYER_TYPES)}, got {kind!r}')
    return _LAYER_TYPES[kind](**entry)
