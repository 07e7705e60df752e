"""The rewrites into a chain of linear layers are exact: the chain computes what the torch
network computes; what cannot be converted is refused with the layer's name."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from hybrid_perception.hybrid.conversion.model import (
    QCFS,
    ConversionError,
    LeNet5,
    chain_forward,
    linear_chain,
)
from hybrid_perception.hybrid.conversion.normalization import activation_scales, normalize


def _randomised(model: nn.Module) -> nn.Module:
    torch.manual_seed(0)
    for module in model.modules():
        if isinstance(module, nn.BatchNorm2d | nn.BatchNorm1d):
            module.running_mean.uniform_(-0.5, 0.5)
            module.running_var.uniform_(0.5, 2.0)
            module.weight.data.uniform_(0.5, 1.5)
            module.bias.data.uniform_(-0.2, 0.2)
    return model.eval()


NETWORKS = {
    'lenet5_28': (lambda: LeNet5(28), 28),
    'lenet5_32': (lambda: LeNet5(32), 32),
    'batchnorm_pool_before_relu': (lambda: nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.AvgPool2d(2), nn.ReLU(),
        nn.Dropout(0.3), nn.Conv2d(4, 8, 3, stride=1, padding=1), nn.ReLU(), nn.AvgPool2d(2),
        nn.AvgPool2d(2), nn.Flatten(), nn.Linear(8 * 2 * 2, 16), nn.BatchNorm1d(16),
        nn.ReLU(), nn.Linear(16, 3)), 16),
    'lenet5_qcfs': (lambda: LeNet5(28, activation='qcfs', levels=4), 28),
    'pool_into_strided_conv': (lambda: nn.Sequential(
        nn.Conv2d(1, 4, 3), nn.ReLU(), nn.AvgPool2d(2), nn.Conv2d(4, 4, 3, padding=1,
                                                                stride=2),
        nn.ReLU(), nn.Flatten(), nn.Linear(4 * 4 * 4, 5)), 18),
}


@pytest.mark.parametrize('name', NETWORKS)
def test_chain_computes_what_the_network_computes(name, rng):
    build, size = NETWORKS[name]
    model = _randomised(build())
    images = torch.from_numpy(rng.random((8, 1, size, size), dtype=np.float32))
    chain = linear_chain(model, (1, size, size))
    with torch.no_grad():
        assert torch.allclose(chain_forward(chain, images), model(images), atol=1e-5)
    assert not chain[-1].relu and all(layer.relu for layer in chain[:-1])


def test_lenet_pools_fold_into_the_next_layers_without_extra_neurons():
    chain = linear_chain(LeNet5(28).eval(), (1, 28, 28))
    assert [layer.weight.shape for layer in chain] == [
        (6, 1, 5, 5), (16, 6, 10, 10), (120, 16 * 10 * 10), (84, 120), (10, 84)]
    assert chain[1].stride == 2 and chain[1].output_shape == (16, 10, 10)


def test_max_pooling_is_refused_or_converted_as_average_pooling(rng):
    images = torch.from_numpy(rng.random((4, 1, 28, 28), dtype=np.float32))
    with pytest.raises(ConversionError, match='MaxPool2d .*--max-pool average'):
        linear_chain(LeNet5(28, pooling='max').eval(), (1, 28, 28))
    torch.manual_seed(1)
    with_max = LeNet5(28, pooling='max').eval()
    torch.manual_seed(1)
    with_average = LeNet5(28, pooling='avg').eval()
    chain = linear_chain(with_max, (1, 28, 28), max_pool='average')
    with torch.no_grad():
        assert torch.allclose(chain_forward(chain, images), with_average(images), atol=1e-5)


@pytest.mark.parametrize('layers, match', [
    ([nn.Conv2d(1, 2, 3), nn.Sigmoid()], 'Sigmoid cannot be converted'),
    ([nn.Conv2d(1, 2, 3), nn.ReLU(), nn.AvgPool2d(3, stride=1)], 'non-overlapping'),
    ([nn.Conv2d(1, 2, 3, groups=1, dilation=2)], 'undilated'),
    ([nn.Flatten(), nn.Linear(64, 4), nn.Linear(4, 2)], 'without a ReLU'),
    ([nn.Conv2d(1, 2, 3), nn.ReLU(), nn.AvgPool2d(2)], 'ends in a pooling'),
])
def test_what_cannot_be_converted_is_refused_by_name(layers, match):
    with pytest.raises(ConversionError, match=match):
        linear_chain(nn.Sequential(*layers).eval(), (1, 8, 8))


@pytest.mark.parametrize('method', ['max', 'percentile'])
def test_threshold_balancing_keeps_the_function_up_to_the_output_scale(method, rng):
    model = _randomised(LeNet5(28))
    images = rng.random((64, 1, 28, 28), dtype=np.float32)
    chain = linear_chain(model, (1, 28, 28))
    scales = activation_scales(chain, images, method)
    balanced = normalize(chain, scales)
    x = torch.from_numpy(images)
    with torch.no_grad():
        assert torch.allclose(chain_forward(balanced, x) * scales[-1], chain_forward(chain, x),
                              rtol=1e-4, atol=1e-5)
        hidden = torch.relu(balanced[0].forward(x))
    # max: every activation at most the threshold; percentile: all but the top 0.1 %
    over, active = int((hidden > 1 + 1e-5).sum()), int((hidden > 0).sum())
    assert over == 0 if method == 'max' else over <= 0.001 * active + 1
    assert float(hidden.max()) > 0.9


def test_qcfs_is_a_clipped_staircase_whose_threshold_becomes_the_neurons(rng):
    act = QCFS(levels=4, threshold=2.0)
    x = torch.tensor([-1.0, 0.0, 0.24, 0.26, 0.74, 1.0, 1.9, 2.5, 9.0], requires_grad=True)
    y = act(x)
    assert y.tolist() == pytest.approx([0, 0, 0, 0.5, 0.5, 1.0, 2.0, 2.0, 2.0])
    y.sum().backward()                                   # the floor passes gradients through
    assert x.grad[4] > 0 and act.threshold.grad is not None
    torch.manual_seed(0)
    model = LeNet5(28, activation='qcfs', levels=4).eval()
    for i, module in enumerate(m for m in model.modules() if isinstance(m, QCFS)):
        module.threshold.data.fill_(1.0 + i)
    chain = linear_chain(model, (1, 28, 28))
    assert [layer.clip for layer in chain] == [1.0, 2.0, 3.0, 4.0, 0.0]
    images = rng.random((20, 1, 28, 28), dtype=np.float32)
    scales = activation_scales(chain, images, 'qcfs')
    assert scales[:4] == [1.0, 2.0, 3.0, 4.0]
    converted = normalize(chain, scales)
    assert [layer.clip for layer in converted[:4]] == [1.0] * 4   # threshold 1 everywhere
    with pytest.raises(ValueError, match='QCFS'):
        activation_scales(linear_chain(LeNet5(28).eval(), (1, 28, 28)), images, 'qcfs')
