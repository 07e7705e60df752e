"""What the hardware would do, counted with torch: the synaptic operations as a
differentiable function of the spikes (training prices them), and an ANN's
multiply-accumulates per layer from the layer shapes as they run (forward hooks), so any torch
model is counted without describing it twice. The SNN's counts from a run's spikes are
:mod:`.counts`' (numpy), re-exported here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from hybrid_perception.networks.energy.counts import OpCounter, OpCounts, count_snn_ops, fan_out
from hybrid_perception.networks.spec import ConvLayer, DenseLayer

__all__ = ['AnnOps', 'OpCounter', 'OpCounts', 'arriving_spikes', 'count_macs', 'count_snn_ops',
           'synaptic_ops']




def arriving_spikes(layer: ConvLayer | DenseLayer, presynaptic: torch.Tensor) -> torch.Tensor:
    """Spikes landing on each group of neurons that share a receptive field, per step:
    (S, C, H, W) or (S, n) presynaptic -> (S, H', W') for a conv (every spike in a k x k window,
    any channel: a convolution with ones), (S,) for a dense layer. Differentiable, so training
    can price the synaptic operations it causes."""
    if isinstance(layer, ConvLayer):
        ones = torch.ones(1, 1, layer.kernel, layer.kernel, dtype=presynaptic.dtype,
                          device=presynaptic.device)
        return F.conv2d(presynaptic.sum(1, keepdim=True), ones, stride=layer.stride,
                        padding=layer.padding)[:, 0]
    return presynaptic.reshape(len(presynaptic), -1).sum(1)


def synaptic_ops(layer: ConvLayer | DenseLayer, presynaptic: torch.Tensor) -> torch.Tensor:
    """Every arriving spike times the neurons it reaches (a conv's channels, a dense's units)."""
    return arriving_spikes(layer, presynaptic).sum() * fan_out(layer)


@dataclass(frozen=True)
class AnnOps:
    """MACs of one forward pass, per layer in execution order."""

    per_layer: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.per_layer.values())

    def op_counts(self) -> OpCounts:
        return OpCounts(mac=self.total, per_layer={k: OpCounts(mac=v) for k, v in
                                                   self.per_layer.items()})


def count_macs(model: torch.nn.Module, example: torch.Tensor,
               forward: Callable[[torch.Tensor], object] | None = None) -> AnnOps:
    """MACs per sample of ``model(example)`` (or of ``forward(example)``, another path through
    the model) for its Conv, ConvTranspose and Linear layers."""
    per_layer: dict[str, int] = {}
    batch = example.shape[0]

    def hook(name: str):
        def record(module: torch.nn.Module, inputs: tuple, output: torch.Tensor) -> None:
            per_layer[name] = per_layer.get(name, 0) + _macs(module, inputs[0], output) // batch
        return record

    handles = [module.register_forward_hook(hook(name)) for name, module in
               model.named_modules() if isinstance(module, _COUNTED)]
    try:
        with torch.no_grad():
            (forward or model)(example)
    finally:
        for handle in handles:
            handle.remove()
    return AnnOps(per_layer)


_COUNTED = (torch.nn.Conv1d, torch.nn.Conv2d, torch.nn.Conv3d, torch.nn.ConvTranspose2d,
            torch.nn.Linear)


def _macs(module: torch.nn.Module, inputs: torch.Tensor, output: torch.Tensor) -> int:
    if isinstance(module, torch.nn.Linear):
        return output.numel() * module.in_features
    kernel = int(np.prod(module.kernel_size))
    if isinstance(module, torch.nn.ConvTranspose2d):  # every input pixel scatters a kernel
        return inputs.numel() * module.out_channels // module.groups * kernel
    return output.numel() * module.in_channels // module.groups * kernel
