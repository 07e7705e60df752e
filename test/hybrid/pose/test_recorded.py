"""H2 on DHP19: a folder in the seed's layout (written here: HDF5 events and labels, the
projection matrices), cut into the windows the synthetic path would cut, trained on, and its
test subjects written as an evaluation bag."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace

import h5py
import numpy as np
import pytest

from hybrid_perception.datasets.dhp19 import (
    DHP19_CROP,
    DHP19_SENSOR,
    Dhp19Folder,
    projection_from_camera,
)
from hybrid_perception.datasets.people import PeopleRenderer, default_cameras, people
from hybrid_perception.errors import EventFormatError
from hybrid_perception.events.fitting import SensorFit
from hybrid_perception.hybrid.pose.recorded import dhp19_training_data
from hybrid_perception.hybrid.pose.spec import load_pose_spec

TAKE_US = 600_000
SUBJECTS = (1, 12, 13)      # one that fits, one that validates (the last two), one to test
P_FILES = {0: 'P4.npy', 1: 'P1.npy', 2: 'P3.npy', 3: 'P2.npy'}    # the seed's pairing


def write_recording(folder, name, take, cameras) -> None:
    """``take`` as DHP19 stores it: its two views as cameras 2 and 3 (and again as 0 and 1),
    1-based pixels, a millisecond index; Vicon millimetres as (F, 3, 13) every 10 ms."""
    with h5py.File(folder / f'{name}_events.h5', 'w') as h5:
        for cam in range(4):
            events = take.events[cam % 2]
            t = events['timestamp'].astype(np.int64)
            h5[f'cam{cam}_events/x'] = (events['x'] + 1).astype(np.uint16)
            h5[f'cam{cam}_events/y'] = (events['y'] + 1).astype(np.uint16)
            h5[f'cam{cam}_events/p'] = events['polarity'].astype(np.uint8)
            h5[f'cam{cam}_events/t'] = t
            h5[f'cam{cam}_ms_to_idx'] = np.searchsorted(t, np.arange(TAKE_US // 1000) * 1000)
    joints_mm = take.joints_3d * 1000
    joints_mm[25, 4] = np.nan                    # the motion capture lost an elbow once
    with h5py.File(folder / f'{name}_events_label.h5', 'w') as h5:
        h5['XYZ/3d_poses'] = np.moveaxis(joints_mm, 2, 1)
        h5['XYZ/timestamps'] = take.label_us
    for cam, file in P_FILES.items():
        np.save(folder / file, projection_from_camera(cameras[cam % 2]))


@pytest.fixture(scope='module')
def dhp19(tmp_path_factory):
    folder = tmp_path_factory.mktemp('dhp19')
    cameras = default_cameras(DHP19_SENSOR)
    renderer = PeopleRenderer(cameras=cameras)
    takes = {}
    for subject in SUBJECTS:
        person = replace(people('train')[subject % 10], shot_noise_hz=0.0)
        takes[subject] = renderer.take(subject % 8, person, TAKE_US,
                                       np.random.default_rng(subject))
        write_recording(folder, f'S{subject}_session1_mov{subject % 8 + 1}', takes[subject],
                        cameras)
    return folder, takes, cameras


def test_recorded_windows_are_the_cropped_takes_windows(dhp19):
    folder, takes, cameras = dhp19
    windows = load_pose_spec('pose-dhp19').windows
    data = dhp19_training_data(Dhp19Folder(folder), windows, val_subjects=2)
    fit = SensorFit(DHP19_SENSOR, windows.sensor, DHP19_CROP)
    for split, subject in (('train', 1), ('val', 12)):
        recorded, stream = data[split]
        take = takes[subject]
        assert len(recorded) == 2 * 5 and sorted(set(stream)) == [0, 1]  # cameras 2 and 3
        for k, view in enumerate((0, 1)):        # camera 2 is the take's view 0, camera 3 view 1
            events, _ = fit(take.events[view])
            x, y = events['x'], events['y']
            events = events[(x >= 0) & (x < 256) & (y >= 0) & (y < 256)]
            joints = fit.to_model(take.joints_2d[view])
            joints[25, 4] = np.nan
            expected = windows.from_take(replace(take, events=(events, events),
                                                 joints_2d=np.stack([joints, joints])), 0)
            got = recorded.select(stream == k)
            np.testing.assert_array_equal(got.start_us, expected.start_us)
            np.testing.assert_array_equal(got.ann, expected.ann)
            np.testing.assert_array_equal(got.snn, expected.snn)
            np.testing.assert_allclose(got.targets, expected.targets, atol=1e-6)
            np.testing.assert_allclose(got.start_pose, expected.start_pose, atol=1e-6)
            assert got.ann.sum() > 1000          # the person is inside the crop
        assert np.isnan(recorded.targets).any() and not np.isnan(recorded.targets).all()


def test_a_folder_that_is_not_dhp19_is_a_clear_error(dhp19, tmp_path):
    folder, _, _ = dhp19
    with pytest.raises(EventFormatError, match='no DHP19 recordings of subjects'):
        Dhp19Folder(folder).recordings([5])
    with pytest.raises(EventFormatError, match='no such folder'):
        Dhp19Folder(tmp_path / 'missing').recordings([1])
    (tmp_path / 'S3_session1_mov1_events.h5').write_bytes(b'')
    with pytest.raises(EventFormatError, match='has no labels file'):
        Dhp19Folder(tmp_path).recordings([3])
    with pytest.raises(EventFormatError, match='P3.npy'):
        Dhp19Folder(tmp_path).camera(2)
    (tmp_path / 'P3.npy').write_bytes(b'not numpy')
    with pytest.raises(EventFormatError, match='not a numpy array'):
        Dhp19Folder(tmp_path).camera(2)


def test_train_pose_on_dhp19(dhp19, tmp_path):
    """One epoch of each stage on the two recordings: the command reads DHP19 and writes a
    model of the DHP19 spec, with where its data came from."""
    folder, _, _ = dhp19
    out = tmp_path / 'model'
    result = subprocess.run(
        [sys.executable, '-m', 'hybrid_perception.cli', 'train', 'pose', '--data',
         f'dhp19:{folder}', '--ann-epochs', '1', '--epochs', '1', '--out', str(out)],
        capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    assert 'subjects 1-10 fit' in result.stdout
    metrics = json.loads(result.stdout.splitlines()[-2])
    assert all(np.isfinite(v) for v in metrics.values()) and 'ann_val_error_px' in metrics
    model = (out / 'model.yaml').read_text()
    assert 'dhp19:' in model and '256' in model
    # run again with --resume: the two finished stages come back as they were
    again = subprocess.run(
        [sys.executable, '-m', 'hybrid_perception.cli', 'train', 'pose', '--data',
         f'dhp19:{folder}', '--ann-epochs', '1', '--epochs', '1', '--out', str(out),
         '--resume'], capture_output=True, text=True, timeout=900)
    assert again.returncode == 0, again.stderr[-3000:]
    assert 'stage ann resumed' in again.stdout and 'stage hybrid resumed' in again.stdout
    resumed = json.loads(again.stdout.splitlines()[-2])
    assert resumed['ann_val_error_px'] == metrics['ann_val_error_px']
    assert resumed['hybrid_val_error_px'] == metrics['hybrid_val_error_px']
    other = subprocess.run(
        [sys.executable, '-m', 'hybrid_perception.cli', 'train', 'pose', '--data',
         f'dhp19:{folder}', '--ann-epochs', '2', '--epochs', '1', '--out', str(out),
         '--resume'], capture_output=True, text=True, timeout=900)
    assert other.returncode != 0 and 'another spec or settings' in other.stderr
    wrong = subprocess.run([sys.executable, '-m', 'hybrid_perception.cli', 'train', 'pose',
                            '--data', f'dvs-gesture:{folder}'],
                           capture_output=True, text=True, timeout=120)
    assert wrong.returncode != 0 and 'synthetic or dhp19:PATH' in wrong.stderr


def test_dataset_pose_from_dhp19_writes_its_test_recordings(dhp19, tmp_path):
    from hybrid_perception.datasets.pose_bag import read_camera_packets, read_pose_truth
    folder, takes, cameras = dhp19
    bag = tmp_path / 'dhp19.mcap'
    result = subprocess.run([sys.executable, '-m', 'hybrid_perception.cli', 'dataset', 'pose',
                             '--from', f'dhp19:{folder}', '--out', str(bag)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert 'wrote 1 DHP19 test recordings (cameras 2, 3' in result.stdout
    truth = read_pose_truth(bag)
    take = takes[13]                                   # only subject 13 is a test subject
    assert [c.name for c in truth.cameras] == ['cam2', 'cam3']
    for camera, rendered in zip(truth.cameras, cameras, strict=True):
        np.testing.assert_allclose(camera.K, rendered.K, atol=1e-6)
        np.testing.assert_allclose(camera.centre, rendered.centre, atol=1e-6)
    np.testing.assert_array_equal(truth.label_us, take.label_us)
    expected = take.joints_3d.copy()
    expected[25, 4] = np.nan
    np.testing.assert_allclose(truth.joints_3d, expected, atol=1e-6)
    assert set(truth.subjects) == {'S13'}
    packets = read_camera_packets(bag, ['cam2', 'cam3'], 10_000)
    for name, view in (('cam2', 0), ('cam3', 1)):
        assert sum(p.size for _, p in packets[name]) == take.events[view].size
