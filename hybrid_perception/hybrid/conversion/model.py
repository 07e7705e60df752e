"""The ANN side of H3: the LeNet-5 the seed's lab converts, and any trained network read into
the chain of linear layers a spiking network can be.

A converted SNN is a chain of convolutions and dense layers, each followed by integrate-and-
fire neurons (ReLU in the ANN); NetX deploys nothing else (no pooling, no normalisation). So
:func:`linear_chain` rewrites a network into that chain, exactly where it can:

- BatchNorm folds into the weights and bias before it;
- average pooling is linear, so it folds into the layer before it (when it comes before the
  ReLU: a kernel one pool wider, the stride times the pool) or after it (when it follows the
  ReLU: the next layer's kernel dilated by the pool and divided by its area, stride times the
  pool; for a dense layer its weights spread over each pooled block) — no extra neurons;
- max pooling has no exact spiking form: with ``max_pool='average'`` it becomes average
  pooling (the accuracy it costs is the converted network's, measured), else it is refused;
- a :class:`QCFS` activation is a ReLU whose scale the network learnt: its threshold travels
  with the layer (``clip``, ``levels``) and becomes the neuron's (``--method qcfs``);
- Dropout and Flatten are nothing at inference.

Anything else is refused with one line naming the layer.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import torch
from torch import nn

from hybrid_perception.errors import HybridPerceptionError
from hybrid_perception.networks.spec import ConvLayer, DenseLayer

__all__ = ['LeNet5', 'LinearLayer', 'ConversionError', 'QCFS', 'linear_chain', 'chain_forward']


class ConversionError(HybridPerceptionError):
    """A network that cannot be converted, with the layer that stops it."""


class QCFS(nn.Module):
    """The quantization-clip-floor-shift activation (Bu et al., ICLR 2022) that replaces ReLU
    while training a network meant for conversion: ``lambda / L * clip(floor(x L / lambda +
    1/2), 0, L)`` with ``lambda`` learnt. An integrate-and-fire neuron with threshold
    ``lambda`` that starts half-way up reproduces it in L steps (no rate error to average
    away), so the converted network is accurate in few steps. The floor passes gradients
    straight through."""

    def __init__(self, levels: int = 8, threshold: float = 4.0) -> None:
        super().__init__()
        if levels < 1:
            raise ValueError(f'levels must be at least 1, got {levels}')
        self.levels = int(levels)
        self.threshold = nn.Parameter(torch.tensor(float(threshold)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return qcfs(x, self.threshold, self.levels)


def qcfs(x: torch.Tensor, threshold: torch.Tensor | float, levels: int) -> torch.Tensor:
    scaled = x * levels / threshold + 0.5
    floored = scaled + (torch.floor(scaled) - scaled).detach()
    return floored.clamp(0, levels) * threshold / levels


def LeNet5(input_size: int = 28, classes: int = 10, pooling: str = 'avg',
           bias: bool = True, activation: str = 'relu', levels: int = 8) -> nn.Sequential:
    """conv6 5x5 - pool - conv16 5x5 - pool - fc120 - fc84 - fc10, ReLU between (the seed
    lab's network; average pooling as they use). A 28x28 input is padded by 2 as MNIST's
    LeNet-5 is; other sizes keep the 5x5 arithmetic. ``bias=False`` makes it deployable
    through SLAYER/NetX, whose blocks have none; ``activation='qcfs'`` trains it for
    conversion in few steps (:class:`QCFS` with ``levels``)."""
    pool = {'avg': nn.AvgPool2d, 'max': nn.MaxPool2d}[pooling]
    act = {'relu': nn.ReLU, 'qcfs': lambda: QCFS(levels)}[activation]
    padding = 2 if input_size == 28 else 0
    side = ((input_size + 2 * padding - 4) // 2 - 4) // 2
    if side < 1:
        raise ValueError(f'input size {input_size} is too small for LeNet-5')
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=padding, bias=bias), act(), pool(2),
        nn.Conv2d(6, 16, 5, bias=bias), act(), pool(2), nn.Flatten(),
        nn.Linear(16 * side * side, 120, bias=bias), act(),
        nn.Linear(120, 84, bias=bias), act(), nn.Linear(84, classes, bias=bias))


@dataclass(frozen=True)
class LinearLayer:
    """One convolution (weight (out, in, k, k)) or dense layer (weight (out, in)), its bias,
    and whether ReLU (integrate-and-fire) follows it. ``input_shape`` is what it reads.
    ``levels`` > 0: the ReLU is a :class:`QCFS` clipping at ``clip``."""

    weight: np.ndarray
    bias: np.ndarray
    input_shape: tuple[int, ...]
    stride: int = 1
    padding: int = 0
    relu: bool = True
    clip: float = 0.0
    levels: int = 0

    def activate(self, x: torch.Tensor) -> torch.Tensor:
        """The layer's activation on its linear output (ReLU, or its QCFS)."""
        if not self.relu:
            return x
        return qcfs(x, self.clip, self.levels) if self.levels else torch.relu(x)

    @property
    def conv(self) -> bool:
        return self.weight.ndim == 4

    @property
    def output_shape(self) -> tuple[int, ...]:
        if not self.conv:
            return (self.weight.shape[0],)
        k = self.weight.shape[-1]
        side = [(n + 2 * self.padding - k) // self.stride + 1 for n in self.input_shape[1:]]
        return (self.weight.shape[0], *side)

    @property
    def spec(self) -> ConvLayer | DenseLayer:
        """The layer as the SNN engine's spec has it: what NetX builds and what the
        operation counter prices."""
        if self.conv:
            return ConvLayer(self.weight.shape[0], self.weight.shape[-1], self.stride,
                             self.padding, weight_scale=1.0)
        return DenseLayer(self.weight.shape[0], weight_scale=1.0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The layer's linear part on a batch (N, *input_shape)."""
        weight, bias = torch.from_numpy(self.weight), torch.from_numpy(self.bias)
        if self.conv:
            return nn.functional.conv2d(x, weight.to(x), bias.to(x), self.stride, self.padding)
        return nn.functional.linear(x.flatten(1), weight.to(x), bias.to(x))


def chain_forward(chain: list[LinearLayer], x: torch.Tensor) -> torch.Tensor:
    """The ANN the chain is, on a batch: what conversion must reproduce."""
    for layer in chain:
        x = layer.activate(layer.forward(x))
    return x


def _pool_before_relu(layer: LinearLayer, size: int) -> LinearLayer:
    """conv then average pool (size, stride size) = one conv, kernel k + size - 1 ... exactly:
    the sum of the kernel shifted over the pool window, divided by its area."""
    if not layer.conv:
        raise ConversionError('average pooling after a dense layer: nothing to pool')
    out, inp, k, _ = layer.weight.shape
    wide = np.zeros((out, inp, k + (size - 1) * layer.stride, k + (size - 1) * layer.stride),
                    np.float32)
    for dy in range(size):
        for dx in range(size):
            oy, ox = dy * layer.stride, dx * layer.stride
            wide[:, :, oy:oy + k, ox:ox + k] += layer.weight / size ** 2
    return replace(layer, weight=wide, stride=layer.stride * size)


def _pool_into_next(layer: LinearLayer, size: int, pooled_shape: tuple[int, ...]
                    ) -> LinearLayer:
    """average pool (size, stride size) then ``layer`` = one layer on the unpooled input."""
    channels, h, w = pooled_shape
    if layer.conv:
        out, inp, k, _ = layer.weight.shape
        # each tap of the kernel becomes a size x size block of equal weights
        wide = np.repeat(np.repeat(layer.weight, size, axis=2), size, axis=3) / size ** 2
        return replace(layer, weight=wide.astype(np.float32), stride=layer.stride * size,
                       padding=layer.padding * size, input_shape=(channels, h * size, w * size))
    weight = layer.weight.reshape(-1, channels, h, w)
    wide = np.repeat(np.repeat(weight, size, axis=2), size, axis=3) / size ** 2
    return replace(layer, weight=wide.reshape(weight.shape[0], -1).astype(np.float32),
                   input_shape=(channels, h * size, w * size))


def linear_chain(model: nn.Module, input_shape: tuple[int, ...],
                 max_pool: str = 'refuse') -> list[LinearLayer]:
    """The network as a chain of :class:`LinearLayer` (see the module docstring for the
    rewrites). ``model`` is run in eval mode; its modules are read in order, nested
    Sequentials flattened."""
    if max_pool not in ('refuse', 'average'):
        raise ValueError(f"max_pool must be 'refuse' or 'average', got {max_pool!r}")
    modules = [m for m in model.modules() if not list(m.children())]
    chain: list[LinearLayer] = []
    shape = tuple(input_shape)
    pending_pool: int | None = None        # a pool after a ReLU, for the next layer
    for module in modules:
        name = type(module).__name__
        if isinstance(module, (nn.Conv2d, nn.Linear)):
            layer = _read_linear(module, shape, name)
            if pending_pool is not None:          # ``shape`` is the pooled map it reads
                layer = _pool_into_next(layer, pending_pool, shape)
                pending_pool = None
            if chain and not chain[-1].relu:
                raise ConversionError(f'{name} follows a linear layer without a ReLU between '
                                      'them: nothing to spike')
            chain.append(replace(layer, relu=False))
            shape = layer.output_shape
        elif isinstance(module, (nn.BatchNorm2d, nn.BatchNorm1d)):
            if not chain or chain[-1].relu:
                raise ConversionError(f'{name} must directly follow a Conv2d or Linear to be '
                                      'folded into it')
            chain[-1] = _fold_batchnorm(chain[-1], module)
        elif isinstance(module, (nn.ReLU, QCFS)):
            if not chain or chain[-1].relu:
                raise ConversionError(f'{name} must follow a Conv2d or Linear')
            clip = (float(module.threshold.detach()), module.levels) \
                if isinstance(module, QCFS) else (0.0, 0)
            chain[-1] = replace(chain[-1], relu=True, clip=clip[0], levels=clip[1])
        elif isinstance(module, (nn.AvgPool2d, nn.MaxPool2d)):
            if isinstance(module, nn.MaxPool2d) and max_pool == 'refuse':
                raise ConversionError('MaxPool2d has no exact spiking form: use AvgPool2d, or '
                                      'convert with max_pool="average" (--max-pool average)')
            size = _pool_size(module, name)
            if shape[1] % size or shape[2] % size:
                raise ConversionError(f'{name} {size} on a {shape[1]}x{shape[2]} map leaves '
                                      'a remainder')
            if chain and not chain[-1].relu:
                chain[-1] = _pool_before_relu(chain[-1], size)
            elif pending_pool is not None:
                pending_pool *= size
            else:
                pending_pool = size
            shape = (shape[0], shape[1] // size, shape[2] // size)
        elif isinstance(module, (nn.Dropout, nn.Flatten, nn.Identity)):
            continue
        else:
            raise ConversionError(f'{name} cannot be converted: use Conv2d, Linear, BatchNorm, '
                                  'ReLU (QCFS), AvgPool2d (MaxPool2d), Flatten, Dropout')
    if pending_pool is not None:
        raise ConversionError('the network ends in a pooling layer: add the classifier after it')
    if not chain:
        raise ConversionError('no Conv2d or Linear layer in the network')
    chain[-1] = replace(chain[-1], relu=False)
    return chain


def _read_linear(module: nn.Module, shape: tuple[int, ...], name: str) -> LinearLayer:
    weight = module.weight.detach().cpu().numpy().astype(np.float32)
    bias = (module.bias.detach().cpu().numpy().astype(np.float32) if module.bias is not None
            else np.zeros(weight.shape[0], np.float32))
    if isinstance(module, nn.Linear):
        if int(np.prod(shape)) != weight.shape[1]:
            raise ConversionError(f'{name} takes {weight.shape[1]} inputs, gets {shape}')
        return LinearLayer(weight, bias, shape)
    k, stride, padding = module.kernel_size, module.stride, module.padding
    if (module.groups != 1 or module.dilation != (1, 1) or k[0] != k[1] or stride[0] != stride[1]
            or not isinstance(padding, tuple) or padding[0] != padding[1]):
        raise ConversionError(f'{name}: only square, undilated, ungrouped convolutions convert')
    if len(shape) != 3 or shape[0] != weight.shape[1]:
        raise ConversionError(f'{name} takes {weight.shape[1]} channels, gets {shape}')
    return LinearLayer(weight, bias, shape, stride[0], padding[0])


def _fold_batchnorm(layer: LinearLayer, norm: nn.Module) -> LinearLayer:
    scale = (norm.weight.detach().cpu().numpy() /
             np.sqrt(norm.running_var.cpu().numpy() + norm.eps)).astype(np.float32)
    shift = norm.bias.detach().cpu().numpy() - norm.running_mean.cpu().numpy() * scale
    weight = layer.weight * scale.reshape(-1, *([1] * (layer.weight.ndim - 1)))
    return replace(layer, weight=weight.astype(np.float32),
                   bias=(layer.bias * scale + shift).astype(np.float32))


def _pool_size(module: nn.Module, name: str) -> int:
    size = module.kernel_size if isinstance(module.kernel_size, int) else module.kernel_size[0]
    stride = module.stride if isinstance(module.stride, int) else (module.stride or size)
    stride = stride[0] if isinstance(stride, tuple) else stride
    padding = module.padding if isinstance(module.padding, int) else module.padding[0]
    if stride != size or padding:
        raise ConversionError(f'{name}: only non-overlapping, unpadded pooling converts '
                              f'(kernel {size}, stride {stride}, padding {padding})')
    return size
