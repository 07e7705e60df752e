"""ONNX files exported by plain ``torch.onnx.export`` (no code of ours) read back into the
layers conversion reads, computing what onnxruntime computes; what is not one chain of
convertible layers is refused with the node named."""

from __future__ import annotations

import numpy as np
import onnxruntime
import pytest
import torch
from torch import nn

from hybrid_perception.hybrid.conversion.model import ConversionError, LeNet5, linear_chain
from hybrid_perception.hybrid.conversion.onnx_import import read_onnx


class Residual(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, 1, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv(x)


def _export(model: nn.Module, path, shape=(1, 1, 28, 28)):
    torch.onnx.export(model.eval(), torch.zeros(*shape), str(path), input_names=['x'],
                      dynamic_axes={'x': {0: 'batch'}})
    return path


NETWORKS = {
    'lenet': lambda: LeNet5(28, bias=True),
    'batchnorm, max pooling, softmax': lambda: nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Dropout(), nn.Linear(4 * 14 * 14, 16), nn.BatchNorm1d(16), nn.ReLU(),
        nn.Linear(16, 10), nn.Softmax(1)),
}


@pytest.mark.parametrize('name', NETWORKS)
def test_exported_networks_compute_what_onnxruntime_computes(name, tmp_path, rng):
    torch.manual_seed(0)
    model = NETWORKS[name]()
    for module in model.modules():
        if isinstance(module, nn.modules.batchnorm._BatchNorm):
            module.running_mean.uniform_(-0.5, 0.5)
            module.running_var.uniform_(0.5, 2.0)
    path = _export(model, tmp_path / 'model.onnx')
    read, shape = read_onnx(path)
    assert shape == (1, 28, 28)
    x = rng.random((4, 1, 28, 28)).astype(np.float32)
    expected = onnxruntime.InferenceSession(str(path)).run(None, {'x': x})[0]
    with torch.no_grad():
        got = read(torch.from_numpy(x)).numpy()
    assert np.argmax(got, 1).tolist() == np.argmax(expected, 1).tolist()
    if name == 'lenet':
        assert np.allclose(got, expected, atol=1e-5)
        chain = linear_chain(read, shape)
        assert [layer.conv for layer in chain] == [True, True, False, False, False]


def test_what_is_not_one_chain_of_convertible_layers_is_refused(tmp_path):
    with pytest.raises(ConversionError, match='one chain'):
        read_onnx(_export(Residual(), tmp_path / 'residual.onnx'))
    sigmoid = nn.Sequential(nn.Flatten(), nn.Linear(784, 10), nn.Sigmoid(), nn.Linear(10, 2))
    with pytest.raises(ConversionError, match=r'\(Sigmoid\) cannot be converted'):
        read_onnx(_export(sigmoid, tmp_path / 'sigmoid.onnx'))
    garbage = tmp_path / 'garbage.onnx'
    garbage.write_bytes(b'\x08\x07not a protobuf at all' * 10)
    with pytest.raises(ConversionError, match='not a readable ONNX file'):
        read_onnx(garbage)
