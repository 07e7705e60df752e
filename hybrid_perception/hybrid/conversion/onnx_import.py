"""An ONNX file exported by another tool, read back into the torch layers conversion reads.

Only what a converted SNN can be is read: one chain from the graph's one input to its
output, of Conv, Gemm (or MatMul with an Add of a constant), Relu, AveragePool, MaxPool,
BatchNormalization, Flatten (or a Reshape to (batch, -1)), Dropout and Identity, with a
Softmax allowed last (it does not move an argmax). Anything else is refused with its node and
operator named. Weights are read as arrays (``onnx.numpy_helper``): nothing in the file runs.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn

from hybrid_perception.hybrid.conversion.model import ConversionError

__all__ = ['read_onnx']

_SKIPPED = ('Dropout', 'Identity')
_LAST_ONLY = ('Softmax', 'LogSoftmax')


def read_onnx(path: str | Path) -> tuple[nn.Sequential, tuple[int, ...]]:
    """The network as an ``nn.Sequential`` and its input shape (C, H, W) or (features,)."""
    import onnx
    from onnx import helper, numpy_helper

    try:
        model = onnx.load(str(path))
    except Exception as err:  # onnx raises DecodeError, OSError, ... for a bad file
        raise ConversionError(f'{path}: not a readable ONNX file '
                              f'({str(err).splitlines()[0] if str(err) else type(err).__name__})'
                              ) from err
    graph = model.graph
    constants = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    inputs = [i for i in graph.input if i.name not in constants]
    if len(inputs) != 1:
        raise ConversionError(f'{path}: the graph has {len(inputs)} inputs; a classifier has one')
    dims = [d.dim_value for d in inputs[0].type.tensor_type.shape.dim][1:]
    if not dims or min(dims) < 1:
        raise ConversionError(f'{path}: input {inputs[0].name!r} has no fixed shape after the '
                              f'batch dimension ({dims})')
    current, layers = inputs[0].name, []
    nodes = list(graph.node)
    for i, node in enumerate(nodes):
        if node.op_type == 'Constant':
            constants[node.output[0]] = numpy_helper.to_array(node.attribute[0].t)
            continue
        data = [name for name in node.input if name and name not in constants]
        where = f'{path}: node {node.name or i} ({node.op_type})'
        if data != [current]:
            raise ConversionError(f'{where} does not continue one chain from the input: only '
                                  'sequential networks convert')
        attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        params = [constants[name] for name in node.input[1:] if name in constants]
        if node.op_type in _LAST_ONLY and i == len(nodes) - 1:
            pass
        elif node.op_type not in _SKIPPED:
            module = _module(node.op_type, attrs, params, layers, where)
            if module is not None:
                layers.append(module)
        current = node.output[0]
    return nn.Sequential(*layers).eval(), tuple(dims)


def _module(op: str, attrs: dict, params: list[np.ndarray], layers: list[nn.Module],
            where: str) -> nn.Module | None:
    """The torch layer of one node (None: the node changed the layer before it)."""
    def tensor(array: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(np.array(array, np.float32))

    if op == 'Conv':
        weight = params[0]
        pads = list(attrs.get('pads', [0, 0, 0, 0]))
        if pads[:2] != pads[2:] or pads[0] != pads[1]:
            raise ConversionError(f'{where}: asymmetric padding {pads}')
        conv = nn.Conv2d(weight.shape[1] * attrs.get('group', 1), weight.shape[0],
                         tuple(weight.shape[2:]), tuple(attrs.get('strides', [1, 1])),
                         pads[0], tuple(attrs.get('dilations', [1, 1])), attrs.get('group', 1),
                         bias=len(params) > 1)
        conv.weight.data = tensor(weight)
        if len(params) > 1:
            conv.bias.data = tensor(params[1])
        return conv
    if op in ('Gemm', 'MatMul'):
        if attrs.get('transA', 0):
            raise ConversionError(f'{where}: transA is not a layer')
        b = params[0] if attrs.get('transB', 0) else params[0].T     # (out, in)
        linear = nn.Linear(b.shape[1], b.shape[0], bias=len(params) > 1)
        linear.weight.data = tensor(b * attrs.get('alpha', 1.0))
        if len(params) > 1:
            linear.bias.data = tensor(np.broadcast_to(params[1] * attrs.get('beta', 1.0),
                                                      (b.shape[0],)))
        return linear
    if op == 'Add' and layers and isinstance(layers[-1], nn.Linear) and \
            layers[-1].bias is None and params:
        linear = layers[-1]
        linear.bias = nn.Parameter(tensor(np.broadcast_to(params[0], (linear.out_features,))))
        return None
    if op == 'Relu':
        return nn.ReLU()
    if op in ('AveragePool', 'MaxPool'):
        pads = list(attrs.get('pads', [0, 0, 0, 0]))
        kernel = tuple(attrs['kernel_shape'])
        stride = tuple(attrs.get('strides', kernel))
        if any(pads):
            raise ConversionError(f'{where}: padded pooling does not convert')
        pool = nn.AvgPool2d if op == 'AveragePool' else nn.MaxPool2d
        return pool(kernel, stride)
    if op == 'BatchNormalization':
        scale, shift, mean, var = params[:4]
        previous = layers[-1] if layers else None
        norm = (nn.BatchNorm1d if isinstance(previous, nn.Linear) else nn.BatchNorm2d)(
            scale.size, eps=attrs.get('epsilon', 1e-5))
        norm.weight.data, norm.bias.data = tensor(scale), tensor(shift)
        norm.running_mean.data, norm.running_var.data = tensor(mean), tensor(var)
        return norm.eval()
    if op == 'Flatten' or (op == 'Reshape' and params and params[0].size == 2
                           and params[0][-1] == -1):
        if op == 'Flatten' and attrs.get('axis', 1) != 1:
            raise ConversionError(f'{where}: only a flatten after the batch axis converts')
        return nn.Flatten()
    raise ConversionError(f'{where} cannot be converted: export Conv, Gemm/MatMul, Relu, '
                          'AveragePool (MaxPool), BatchNormalization, Flatten, Dropout')
