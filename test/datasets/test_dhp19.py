"""DHP19 in the seed's HDF5 layout, on small files written here in that layout."""

import h5py
import numpy as np
import pytest

from hybrid_perception.datasets.dhp19 import (
    DHP19_SENSOR,
    Dhp19Recording,
    camera_from_projection,
    projection_from_camera,
)
from hybrid_perception.errors import EventFormatError
from hybrid_perception.geometry.cameras import look_at


def _camera():
    return look_at('cam2', DHP19_SENSOR, 300.0, [1.2, -3.0, 1.4], [0.0, 0.0, 0.9])


def _write(tmp_path, events_per_cam=50, frames=7):
    rng = np.random.default_rng(0)
    events_path, labels_path = tmp_path / 'S13_session1_mov1_events', tmp_path / 'labels'
    with h5py.File(events_path, 'w') as h5:
        for cam in range(4):
            t = np.sort(rng.integers(0, 60_000, events_per_cam))
            h5[f'cam{cam}_events/x'] = rng.integers(1, 347, events_per_cam).astype(np.uint16)
            h5[f'cam{cam}_events/y'] = rng.integers(1, 261, events_per_cam).astype(np.uint16)
            h5[f'cam{cam}_events/p'] = rng.integers(0, 2, events_per_cam).astype(np.uint8)
            h5[f'cam{cam}_events/t'] = t
            h5[f'cam{cam}_ms_to_idx'] = np.searchsorted(t, np.arange(60) * 1000)
    joints_mm = rng.uniform([-500, -400, 0], [500, 400, 1900], (frames, 13, 3))
    with h5py.File(labels_path, 'w') as h5:
        h5['XYZ/3d_poses'] = np.moveaxis(joints_mm, 2, 1)
        h5['XYZ/timestamps'] = np.arange(frames) * 10_000
    return Dhp19Recording(events_path, labels_path), joints_mm


def test_events_and_joints_come_back_in_our_units(tmp_path):
    recording, joints_mm = _write(tmp_path)
    with h5py.File(recording.events_path) as h5:
        x, p = np.asarray(h5['cam2_events/x']), np.asarray(h5['cam2_events/p'])
    events = recording.events(2)
    np.testing.assert_array_equal(events['x'], x.astype(np.int64) - 1)    # 1-based -> 0-based
    np.testing.assert_array_equal(events['polarity'], p)
    stamps, joints = recording.joints()
    np.testing.assert_array_equal(stamps, np.arange(7) * 10_000)
    np.testing.assert_allclose(joints, joints_mm / 1000)


def test_a_projection_matrix_becomes_the_camera_it_came_from():
    camera = _camera()
    P = projection_from_camera(camera) * -3.7            # P is only defined up to scale
    recovered = camera_from_projection('cam2', P)
    np.testing.assert_allclose(recovered.K, camera.K, atol=1e-9)
    np.testing.assert_allclose(recovered.R, camera.R, atol=1e-9)
    np.testing.assert_allclose(recovered.t, camera.t, atol=1e-9)
    # the seed's convention: project millimetres, then v = 260 - v
    point_mm = np.array([100.0, -50.0, 1200.0, 1.0])
    u, v, w = P @ point_mm
    np.testing.assert_allclose(camera.project(point_mm[:3] / 1000), [u / w, 260 - v / w],
                               atol=1e-9)


def test_broken_files_are_clear_errors(tmp_path):
    recording, _ = _write(tmp_path)
    with h5py.File(recording.events_path, 'a') as h5:
        del h5['cam1_events/t']
        h5['cam1_events/t'] = np.arange(10)               # truncated column
        h5['cam3_events/x'][0] = 400                      # off the sensor
    with pytest.raises(EventFormatError, match='truncated'):
        recording.events(1)
    with pytest.raises(EventFormatError, match='outside'):
        recording.events(3)
    with pytest.raises(EventFormatError, match='no cam7_events'):
        recording.events(7)
    (tmp_path / 'cut').write_bytes(recording.labels_path.read_bytes()[:200])
    with pytest.raises(EventFormatError, match='not a readable HDF5'):
        Dhp19Recording(recording.events_path, tmp_path / 'cut').joints()
    with pytest.raises(EventFormatError, match='3x4'):
        camera_from_projection('c', np.eye(3))
