"""Model names and paths: a shipped model's name is never shadowed by a folder of that name."""

from __future__ import annotations

import pytest

from hybrid_perception.errors import HybridPerceptionError
from hybrid_perception.hybrid.common import MODELS_DIR, model_folder, shipped_models
from hybrid_perception.hybrid.gesture.bundle import load_bundle
from hybrid_perception.hybrid.pose.bundle import load_pose_bundle


def test_every_shipped_model_is_found_by_its_name():
    names = shipped_models()
    assert {'gesture/hybrid', 'gesture/ann', 'gesture/snn', 'pose', 'pose-200'} <= set(names)
    assert all(model_folder(name) == MODELS_DIR / name for name in names)


def test_a_folder_named_like_a_shipped_model_does_not_shadow_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / 'pose').mkdir()
    (tmp_path / 'pose' / 'model.yaml').write_text('not: a model\n')
    (tmp_path / 'gesture' / 'hybrid').mkdir(parents=True)
    assert load_pose_bundle('pose').path == MODELS_DIR / 'pose'
    assert load_bundle('gesture/hybrid').path == MODELS_DIR / 'gesture' / 'hybrid'
    with pytest.raises(HybridPerceptionError, match='not a pose model folder'):
        load_pose_bundle('./pose')
