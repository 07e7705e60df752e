"""Pose evaluation bags: two calibrated event cameras and Joints2D/3D truth, through rosbags."""

import numpy as np
import pytest

from hybrid_perception.datasets.people import PeopleRenderer, people
from hybrid_perception.datasets.pose_bag import read_pose_truth, write_pose_bag
from hybrid_perception.errors import EventFormatError
from hybrid_perception.events.array import concatenate, select
from hybrid_perception.geometry.cameras import matrix_from_quaternion, quaternion_from_matrix
from hybrid_perception.geometry.joints import JOINTS
from hybrid_perception.io.rosbag import EventBagReader

TAKE_US = 100_000


@pytest.fixture(scope='module')
def bag(tmp_path_factory):
    path = tmp_path_factory.mktemp('bags') / 'poses'
    return path, write_pose_bag(path, samples=3, seed=2, take_us=TAKE_US)


def test_truth_and_rig_read_back_as_rendered(bag):
    path, labels = bag
    truth = read_pose_truth(path)
    renderer = PeopleRenderer()
    assert labels == 3 * 11 and truth.joints_3d.shape == (33, len(JOINTS), 3)
    for read, rendered in zip(truth.cameras, renderer.cameras, strict=True):
        assert read.name == rendered.name and read.sensor == rendered.sensor
        np.testing.assert_allclose(read.P, rendered.P, atol=1e-9)
    # the third take is the third movement of the first test person, labelled from its start
    person = people('test', 2)[0]
    take = renderer.take(2, person, TAKE_US, np.random.default_rng([2, person.seed, 2, 0]))
    start = 2 * (TAKE_US + renderer.label_period_us)
    np.testing.assert_array_equal(truth.label_us[22:], take.label_us + start)
    np.testing.assert_allclose(truth.joints_3d[22:], take.joints_3d, atol=1e-12)
    np.testing.assert_allclose(truth.joints_2d['cam1'][22:], take.joints_2d[1], atol=1e-4)
    assert truth.movements[22] == take.movement and truth.subjects[0] == f'test-{person.seed}'
    assert np.all(np.diff(truth.label_us) > 0)


def test_each_camera_reads_as_its_own_event_stream(bag):
    path, _ = bag
    person = people('test', 2)[0]
    take = PeopleRenderer().take(1, person, TAKE_US, np.random.default_rng([2, person.seed, 1, 0]))
    start = TAKE_US + 10_000
    for view in (0, 1):
        reader = EventBagReader(path, topic=f'/cam{view}/events')
        events = concatenate(list(reader))
        assert reader.camera_info.header.frame_id == f'cam{view}'
        assert np.asarray(reader.camera_info.k).reshape(3, 3)[0, 0] > 0   # calibrated
        t = events['timestamp']
        inside = select(events, np.flatnonzero((t >= start) & (t <= start + TAKE_US)))
        np.testing.assert_array_equal(inside['x'], take.events[view]['x'])
        np.testing.assert_array_equal(inside['timestamp'] - start,
                                      take.events[view]['timestamp'])


def test_quaternions_round_trip_every_rotation_branch():
    rng = np.random.default_rng(0)
    for R in [np.eye(3), np.diag([1.0, -1, -1]), np.diag([-1.0, 1, -1]), np.diag([-1.0, -1, 1])]:
        np.testing.assert_allclose(matrix_from_quaternion(quaternion_from_matrix(R)), R,
                                   atol=1e-12)
    for _ in range(20):
        q, _ = np.linalg.qr(rng.normal(size=(3, 3)))
        R = q * np.sign(np.linalg.det(q))
        np.testing.assert_allclose(matrix_from_quaternion(quaternion_from_matrix(R)), R,
                                   atol=1e-12)


def test_a_bag_without_pose_truth_is_a_clear_error(tmp_path):
    from hybrid_perception.datasets.gesture_bag import write_gesture_bag
    write_gesture_bag(tmp_path / 'gestures', samples=1)
    with pytest.raises(EventFormatError, match='tf_static'):
        read_pose_truth(tmp_path / 'gestures')
    with pytest.raises(EventFormatError, match='cannot read'):
        read_pose_truth(tmp_path / 'missing')
