"""The NetX HDF5 files we export, read without SLAYER or torch: the spec we store in them
and each layer's weights and CUBA constants, as Lava and the compiled runtime run them.

NetX's layout (lava-dl ``slayer`` blocks' ``export_hdf5``): ``layer/<i>/`` with ``type``
(conv, dense, flatten), the weights as the chip's integers (SLAYER's quantised float weight x
``WEIGHT_SCALE``; conv (out, in, k, k), dense (out, in)), ``stride`` / ``padding`` /
``dilation`` / ``groups`` for a conv, and ``neuron/`` with ``iDecay`` and ``vDecay`` (of 4096)
and ``vThMant`` (the threshold x ``WEIGHT_SCALE``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np

from hybrid_perception.errors import HybridPerceptionError
from hybrid_perception.networks.spec import NetworkSpec

__all__ = ['SPEC_ATTR', 'STATE_SCALE', 'WEIGHT_SCALE', 'NetxLayer', 'read_layers', 'read_spec']

#: SLAYER's CUBA fixed-point scales: Loihi holds states as ``STATE_SCALE`` x the float value
#: and weights as ``WEIGHT_SCALE`` x the float weight (both integers on the chip).
STATE_SCALE = 1 << 12
WEIGHT_SCALE = 1 << 6
#: the root attribute holding our spec (NetX ignores it)
SPEC_ATTR = 'hybrid_perception_spec'


@dataclass(frozen=True)
class NetxLayer:
    """One synapse + CUBA neuron layer: ``weight`` in chip integers (as float32), the conv's
    ``stride`` and ``padding`` (0 for dense), the decays of 4096 and the threshold mantissa."""

    kind: str
    weight: np.ndarray
    stride: int
    padding: int
    current_decay: int
    voltage_decay: int
    threshold_mantissa: int


def read_spec(path: str | Path) -> NetworkSpec:
    """The spec stored in an export by :meth:`SpikingNetwork.export_hdf5`."""
    try:
        with h5py.File(path, 'r') as handle:
            text = handle.attrs[SPEC_ATTR]
    except (OSError, KeyError) as err:
        raise HybridPerceptionError(
            f'{path} is not a network exported by hybrid_perception: {err}') from err
    return NetworkSpec.from_dict(json.loads(text))


def read_layers(path: str | Path) -> list[NetxLayer]:
    """The neuron layers in order (flattens are implied by a dense after a conv). Anything
    this reading does not cover (axonal delays, grouped or dilated convs, graded spikes,
    other neuron models) is refused by name rather than run differently."""
    layers = []
    try:
        with h5py.File(path, 'r') as handle:
            group = handle['layer']
            for key in sorted(group, key=int):
                layer = group[key]
                kind = layer['type'][0].decode()
                if kind == 'flatten':
                    continue
                layers.append(_layer(path, key, kind, layer))
    except (OSError, KeyError, ValueError) as err:
        raise HybridPerceptionError(f'{path}: not a readable NetX network: {err}') from err
    return layers


def _layer(path, key: str, kind: str, layer) -> NetxLayer:
    neuron = layer['neuron']
    unsupported = [what for what, bad in (
        (f'layer type {kind!r}', kind not in ('conv', 'dense')),
        ('a neuron model other than CUBA', neuron['type'][()] != b'CUBA'),
        ('graded spikes', bool(neuron['gradedSpike'][()])),
        ('axonal delays', 'delay' in layer),
        ('grouped or dilated convolutions', kind == 'conv' and (
            int(layer['groups'][()]) != 1 or set(np.ravel(layer['dilation'][()])) != {1})),
        ('non-square strides or padding', kind == 'conv' and (
            len(set(np.ravel(layer['stride'][()]))) != 1
            or len(set(np.ravel(layer['padding'][()]))) != 1)),
    ) if bad]
    if unsupported:
        raise HybridPerceptionError(f'{path}: layer {key} has {", ".join(unsupported)}, which '
                                    'the compiled runtime does not run')
    conv = kind == 'conv'
    return NetxLayer(kind, np.asarray(layer['weight'][()], np.float32),
                     int(np.ravel(layer['stride'][()])[0]) if conv else 1,
                     int(np.ravel(layer['padding'][()])[0]) if conv else 0,
                     int(neuron['iDecay'][()]), int(neuron['vDecay'][()]),
                     int(neuron['vThMant'][()]))
