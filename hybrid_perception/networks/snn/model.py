"""The trainable spiking network: lava-dl SLAYER CUBA blocks built from a :class:`NetworkSpec`.

The HDF5 file NetX loads is the boundary between training and deployment. We write our spec
into it as well (a root attribute NetX ignores), so one file rebuilds the network on either
runtime and nobody has to keep a checkpoint and an export in step.
"""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np
import torch

from hybrid_perception.networks.lava import slayer
from hybrid_perception.networks.snn.cuba import compiled_block, supports
from hybrid_perception.networks.snn.netx import SPEC_ATTR, WEIGHT_SCALE, read_spec
from hybrid_perception.networks.spec import ConvLayer, DenseLayer, NetworkSpec

__all__ = ['SpikingNetwork']


class SpikingNetwork(torch.nn.Module):
    """SLAYER blocks in spec order; tensors are SLAYER's (N, C, H, W, T), time last."""

    def __init__(self, spec: NetworkSpec) -> None:
        super().__init__()
        self.spec = spec
        self.blocks = torch.nn.ModuleList(_blocks(spec))
        with torch.no_grad():  # SLAYER learns neuron shapes from the first input
            self(torch.zeros(1, *spec.input_shape, 1))

    @property
    def spiking_blocks(self) -> list[torch.nn.Module]:
        """The blocks with neurons, one per spec layer (the flatten has none)."""
        return [block for block in self.blocks if hasattr(block, 'neuron')]

    #: with nothing to differentiate, on the CPU, run the neurons compiled
    #: (:mod:`~hybrid_perception.networks.snn.cuba`, bit-exact); False keeps SLAYER's loop,
    #: which forward hooks on the blocks' neurons need (the compiled path does not call them)
    compiled_neurons = True

    def forward(self, spikes: torch.Tensor) -> torch.Tensor:
        """In training, every spiking layer's output is kept in ``layer_spikes`` (autograd holds
        them anyway) for a loss on the network's activity."""
        compiled = (self.compiled_neurons and not torch.is_grad_enabled()
                    and spikes.device.type == 'cpu')
        self.layer_spikes = []
        for block in self.blocks:
            if compiled and hasattr(block, 'neuron') and supports(block):
                spikes = compiled_block(block, spikes)[1]
            else:
                spikes = block(spikes)
            if self.training and hasattr(block, 'neuron'):
                self.layer_spikes.append(spikes)
        return spikes

    def export_hdf5(self, path: str | Path) -> Path:
        """Write the NetX network description (quantised weights, neuron constants, our spec)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with h5py.File(path, 'w') as handle:
            handle.attrs[SPEC_ATTR] = json.dumps(self.spec.to_dict())
            layers = handle.create_group('layer')
            for i, block in enumerate(self.blocks):
                block.export_hdf5(layers.create_group(str(i)))
        return path

    @classmethod
    def load_hdf5(cls, path: str | Path) -> SpikingNetwork:
        """Rebuild the network from an export; the weights come back exactly as quantised."""
        network = cls(read_spec(path))
        with h5py.File(path, 'r') as handle:
            for i, block in enumerate(network.blocks):
                if not hasattr(block, 'synapse'):
                    continue
                weight = torch.from_numpy(np.asarray(handle[f'layer/{i}/weight'], np.float32))
                synapse = block.synapse.weight
                synapse.data = (weight / WEIGHT_SCALE).reshape(synapse.shape).to(synapse)
        return network


def _blocks(spec: NetworkSpec) -> list[torch.nn.Module]:
    blocks: list[torch.nn.Module] = []
    in_shape = tuple(spec.input_shape)
    for layer, out_shape in zip(spec.layers, spec.layer_shapes(), strict=True):
        neuron = spec.neuron.slayer_params()
        if layer.threshold is not None:
            neuron['threshold'] = layer.threshold
        if isinstance(layer, ConvLayer):
            blocks.append(slayer.block.cuba.Conv(
                neuron, in_shape[0], layer.channels, layer.kernel, stride=layer.stride,
                padding=layer.padding, weight_scale=layer.weight_scale))
        elif isinstance(layer, DenseLayer):
            if len(in_shape) == 3:
                blocks.append(slayer.block.cuba.Flatten())
            blocks.append(slayer.block.cuba.Dense(
                neuron, int(np.prod(in_shape)), layer.units, weight_scale=layer.weight_scale))
        in_shape = out_shape
    return blocks
