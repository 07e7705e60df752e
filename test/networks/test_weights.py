"""Weight files load without running code: a crafted pickle is refused and nothing runs."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import torch

from hybrid_perception.hybrid.common import MODELS_DIR
from hybrid_perception.hybrid.gesture.bundle import load_bundle
from hybrid_perception.hybrid.pose.bundle import load_pose_bundle
from hybrid_perception.networks.weights import WeightsError, load_weights


class Payload:
    """Unpickling this calls ``Path.touch(marker)``: what an attacker's model.pt would do."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return Path.touch, (self.marker,)


def test_plain_weights_load(tmp_path):
    torch.save({'w': torch.arange(3.0), 'meta': {'epoch': 2, 'name': 'x'}}, tmp_path / 'w.pt')
    loaded = load_weights(tmp_path / 'w.pt')
    assert torch.equal(loaded['w'], torch.arange(3.0)) and loaded['meta']['epoch'] == 2


def test_a_crafted_pickle_is_refused_and_nothing_runs(tmp_path):
    marker = tmp_path / 'pwned'
    torch.save({'state': Payload(marker)}, tmp_path / 'evil.pt')
    with pytest.raises(WeightsError, match='refused, nothing of it ran'):
        load_weights(tmp_path / 'evil.pt')
    assert not marker.exists()


def test_a_truncated_weight_file_is_a_clear_error(tmp_path):
    data = (MODELS_DIR / 'gesture' / 'hybrid' / 'model.pt').read_bytes()
    (tmp_path / 'cut.pt').write_bytes(data[:len(data) // 2])
    with pytest.raises(WeightsError, match='not a readable weight file'):
        load_weights(tmp_path / 'cut.pt')


@pytest.mark.parametrize('kind', ['gesture', 'pose'])
def test_a_model_folder_with_a_crafted_weight_file_is_refused(tmp_path, kind):
    marker = tmp_path / 'pwned'
    if kind == 'gesture':
        folder = shutil.copytree(MODELS_DIR / 'gesture' / 'hybrid', tmp_path / 'model')
        torch.save(Payload(marker), folder / 'model.pt')
        bundle = load_bundle(folder)
        with pytest.raises(WeightsError):
            bundle.model()
    else:
        folder = shutil.copytree(MODELS_DIR / 'pose', tmp_path / 'model')
        torch.save(Payload(marker), folder / 'initializer.pt')
        with pytest.raises(WeightsError):
            load_pose_bundle(folder).initializer()
    assert not marker.exists()
