"""One trained network for the SNN tests: training takes seconds, so it is done once."""

from __future__ import annotations

from pathlib import Path

import pytest

from hybrid_perception.datasets.motion import MovingSquareClips
from hybrid_perception.networks.snn import NetworkSpec, load_spec
from hybrid_perception.networks.snn.training import TrainConfig, TrainResult, train


@pytest.fixture(scope='session')
def motion_spec() -> NetworkSpec:
    return load_spec('motion')


@pytest.fixture(scope='session')
def clips():
    dataset = MovingSquareClips()
    return dataset.generate(384, seed=1), dataset.generate(64, seed=2)


@pytest.fixture(scope='session')
def trained(clips, motion_spec, tmp_path_factory) -> TrainResult:
    train_data, val_data = clips
    return train(motion_spec, train_data, val_data,
                 TrainConfig(epochs=3, seed=0), tmp_path_factory.mktemp('checkpoints'),
                 progress=False)


@pytest.fixture(scope='session')
def exported(trained, tmp_path_factory) -> Path:
    return trained.model.export_hdf5(tmp_path_factory.mktemp('export') / 'motion.net')
