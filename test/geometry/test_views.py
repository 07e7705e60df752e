"""Joining views: pairing poses by stamp, the rig file, the drawn skeleton."""

from __future__ import annotations

import numpy as np
import pytest

from hybrid_perception.datasets.people import default_cameras
from hybrid_perception.errors import HybridPerceptionError
from hybrid_perception.geometry.joints import BONES, N_JOINTS
from hybrid_perception.geometry.rig import load_rig, save_rig
from hybrid_perception.geometry.views import ViewSync
from hybrid_perception.sim.drawing import draw_skeleton


def test_poses_pair_by_stamp_and_a_view_never_delivered_is_given_up():
    sync = ViewSync(('a', 'b'), keep=2)
    assert sync.add('a', 10, np.zeros((2, 2))) is None
    assert sync.add('a', 20, np.ones((2, 2))) is None
    pair = sync.add('b', 20, np.full((2, 2), 2.0))
    assert list(pair) == ['a', 'b'] and pair['a'][0, 0] == 1 and pair['b'][0, 0] == 2
    for stamp in (30, 40, 50):          # b never sends 10, 30: they go once 2 newer wait
        sync.add('a', stamp, np.zeros((2, 2)))
    assert sync.incomplete == 2
    assert sync.add('b', 10, np.zeros((2, 2))) is None and sync.late == 1
    assert sync.add('b', 50, np.zeros((2, 2))) is not None
    with pytest.raises(ValueError, match='unknown view'):
        sync.add('c', 60, np.zeros((2, 2)))
    with pytest.raises(ValueError, match='two or more'):
        ViewSync(('a', 'a'))


def test_a_rig_file_gives_back_the_same_cameras(tmp_path, rng):
    cameras = default_cameras()
    loaded = load_rig(save_rig(tmp_path / 'rig.yaml', cameras))
    points = rng.uniform(-1, 1, (20, 3))
    for camera, back in zip(cameras, loaded, strict=True):
        assert back.name == camera.name and back.sensor == camera.sensor
        np.testing.assert_allclose(back.project(points), camera.project(points), atol=1e-9)
    save_rig(tmp_path / 'one.yaml', cameras[:1])
    with pytest.raises(HybridPerceptionError, match='at least two cameras'):
        load_rig(tmp_path / 'one.yaml')
    with pytest.raises(HybridPerceptionError, match='cannot read camera rig'):
        load_rig(tmp_path / 'missing.yaml')


def test_the_skeleton_is_drawn_over_the_frame_without_unknown_joints():
    image = np.full((64, 64, 3), 7, np.uint8)
    joints = np.column_stack([np.linspace(5, 55, N_JOINTS), np.linspace(8, 50, N_JOINTS)])
    joints[0] = np.nan                                  # the head is unknown
    draw_skeleton(image, joints, BONES, (0, 0, 255))
    for x, y in np.round(joints[1:]).astype(int):
        assert tuple(image[y, x]) == (0, 0, 255)
    assert tuple(image[0, 63]) == (7, 7, 7)             # far from every bone: untouched
