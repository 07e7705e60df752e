"""The digits LeNet-5s the conversion tests convert: trained once per test process (12 epochs
on the real digits), with ReLU and with QCFS activations."""

from __future__ import annotations

import pytest

from hybrid_perception.datasets.digits import load_digits
from hybrid_perception.hybrid.conversion.model import linear_chain
from hybrid_perception.hybrid.conversion.training import (
    LeNetSpec,
    load_digits_net,
    train_digits,
)
from hybrid_perception.networks.training import TrainConfig


@pytest.fixture(scope='session')
def trained(tmp_path_factory):
    out = tmp_path_factory.mktemp('digits')
    train, test = load_digits('train'), load_digits('test')
    result = train_digits(train, test, out, TrainConfig(epochs=12, batch_size=32, lr=3e-3),
                          progress=False)
    model = load_digits_net(result.best_checkpoint)
    chain = linear_chain(model, (1, 28, 28))
    return chain, train, test


@pytest.fixture(scope='session')
def trained_qcfs(tmp_path_factory, trained):
    _, train, test = trained
    result = train_digits(train, test, tmp_path_factory.mktemp('qcfs'),
                          TrainConfig(epochs=12, batch_size=32, lr=3e-3),
                          LeNetSpec(activation='qcfs', levels=8), progress=False)
    return linear_chain(load_digits_net(result.best_checkpoint), (1, 28, 28))
