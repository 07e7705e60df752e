"""What the hardware would do, counted from the actual activity.

For an SNN on a neuromorphic chip: synaptic operations (every spike times its fan-out into
the next layer), neuron updates (every neuron every step; "active" when it received input
that step) and spikes sent. For an ANN: multiply-accumulates per layer, from the layer shapes
as they run (forward hooks), so any torch model is counted without describing it twice.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np
import torch
import torch.nn.functional as F

from hybrid_perception.networks.energy.counts import OpCounts
from hybrid_perception.networks.spec import ConvLayer, DenseLayer, NetworkSpec

__all__ = ['AnnOps', 'OpCounter', 'OpCounts', 'arriving_spikes', 'count_macs', 'count_snn_ops',
           'synaptic_ops']




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

    Counts only what the runtime records: the torch runtime keeps every layer's spikes, Lava
    only the output's, so a Lava run counts nothing (and the means are None)."""

    def __init__(self, spec: NetworkSpec) -> None:
        self.spec = spec
        self.ops = OpCounts()
        self.windows = 0
        self.steps = 0

    def add(self, runtime, input_spikes: np.ndarray) -> None:
        layer_spikes = getattr(runtime, 'layer_spikes', None)
        if layer_spikes:
            self.ops = self.ops + count_snn_ops(self.spec, input_spikes, layer_spikes)
            self.windows += 1
            self.steps += len(input_spikes)

    def __add__(self, other: OpCounter) -> OpCounter:
        """Two runtimes' counts as one (the two cameras' SNNs of a live graph)."""
        total = OpCounter(self.spec)
        total.ops = self.ops + other.ops
        total.windows = self.windows + other.windows
        total.steps = self.steps + other.steps
        return total

    def per_window(self) -> OpCounts | None:
        return self.ops.scaled(1 / self.windows) if self.windows else None

    def per_step(self) -> OpCounts | None:
        return self.ops.scaled(1 / self.steps) if self.steps else None


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
    return arriving_spikes(layer, presynaptic).sum() * _width(layer)


def _width(layer: ConvLayer | DenseLayer) -> int:
    return layer.channels if isinstance(layer, ConvLayer) else layer.units


def _layer_ops(layer, presynaptic: np.ndarray, spikes: np.ndarray) -> OpCounts:
    steps = len(spikes)
    neurons = int(np.prod(spikes.shape[1:]))
    arriving = arriving_spikes(layer, torch.from_numpy(presynaptic.astype(np.float32)))
    active = int((arriving > 0).sum()) * _width(layer)
    return OpCounts(synaptic_op=int(arriving.sum()) * _width(layer), neuron_update_active=active,
                    neuron_update_inactive=neurons * steps - active, spike_out=int(spikes.sum()))


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
