"""Dense (non-spiking) networks from the same layer descriptions the SNN spec uses.

A hybrid cuts one stack of layers into a spiking head and an ANN tail, so both halves are
described by the same :class:`~hybrid_perception.networks.spec.ConvLayer` /
:class:`~hybrid_perception.networks.spec.DenseLayer` entries: a conv is Conv2d + ReLU, a dense layer
Linear + ReLU, and the last layer has no activation (it gives the logits).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from hybrid_perception.networks.spec import ConvLayer, DenseLayer, SpecError

__all__ = ['build_ann']


def build_ann(input_shape: tuple[int, ...], layers: Sequence[ConvLayer | DenseLayer],
              bias: bool = True) -> torch.nn.Sequential:
    """Conv/dense layers in order; a flatten is implied before the first dense layer.
    ``bias=False``: none, so the network converts into an SNN that NetX deploys."""
    if not layers:
        raise SpecError('an ANN needs at least one layer')
    modules: list[torch.nn.Module] = []
    shape = tuple(input_shape)
    for i, layer in enumerate(layers):
        if isinstance(layer, ConvLayer):
            if len(shape) != 3:
                raise SpecError(f'ANN layer {i}: a conv layer cannot follow a dense layer')
            modules.append(torch.nn.Conv2d(shape[0], layer.channels, layer.kernel,
                                           stride=layer.stride, padding=layer.padding,
                                           bias=bias))
        else:
            if len(shape) == 3:
                modules.append(torch.nn.Flatten())
            modules.append(torch.nn.Linear(int(np.prod(shape)), layer.units, bias=bias))
        shape = layer.output_shape(shape)
        if i < len(layers) - 1:
            modules.append(torch.nn.ReLU())
    return torch.nn.Sequential(*modules)
