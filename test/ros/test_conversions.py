"""The PoseArrays, Images and label markers the nodes write and read as bytes, against rclpy's
own serializer."""

import numpy as np
import pytest
from geometry_msgs.msg import PoseArray
from hypothesis import given, settings
from hypothesis import strategies as st
from rclpy.serialization import deserialize_message, serialize_message
from sensor_msgs.msg import Image
from std_msgs.msg import String
from support import pose_array, pose_points
from visualization_msgs.msg import MarkerArray

from hybrid_perception.errors import DataFormatError
from hybrid_perception.ros.conversions import (
    image_bytes,
    image_to_matrix,
    label_marker,
    label_marker_bytes,
    matrix_to_image,
    pose_array_bytes,
    read_image,
    read_pose_array,
    string_bytes,
)

#: what a ROS string holds: UTF-8 (no lone surrogates), no NUL
FRAME_IDS = st.text(st.characters(blacklist_characters='\x00', blacklist_categories=('Cs',)),
                    max_size=10)


@given(n=st.integers(0, 20), dims=st.sampled_from([2, 3]), stamp=st.integers(0, 2**40),
       frame_id=FRAME_IDS, seed=st.integers(0, 2**32 - 1))
@settings(max_examples=60, deadline=None)
def test_pose_arrays_round_trip_through_rclpy(n, dims, stamp, frame_id, seed):
    points = np.random.default_rng(seed).normal(size=(n, dims)) * 100
    expected = np.zeros((n, 3))
    expected[:, :dims] = points
    msg = deserialize_message(pose_array_bytes(points, stamp, frame_id), PoseArray)
    assert msg.header.frame_id == frame_id and all(p.orientation.w == 1.0 for p in msg.poses)
    np.testing.assert_array_equal(pose_points(msg), expected)
    got_stamp, got_frame, got = read_pose_array(serialize_message(pose_array(points, stamp,
                                                                             frame_id)))
    assert (got_stamp, got_frame) == (stamp, frame_id)
    np.testing.assert_array_equal(got, expected)


@given(text=FRAME_IDS, stamp=st.integers(0, 2**40), frame_id=FRAME_IDS)
@settings(max_examples=80, deadline=None)
def test_label_markers_are_rclpys(text, stamp, frame_id):
    """Every length of text and frame_id (so every padding), multi-byte characters too."""
    msg = deserialize_message(label_marker_bytes(text, stamp, frame_id), MarkerArray)
    assert msg == label_marker(text, stamp, frame_id)
    assert msg.markers[0].text == text and msg.markers[0].header.frame_id == frame_id
    assert deserialize_message(string_bytes(text), String).data == text


def test_a_truncated_pose_array_is_refused():
    whole = pose_array_bytes(np.ones((13, 2)), 5, 'cam0')
    for cut in range(len(whole)):
        with pytest.raises(DataFormatError):
            read_pose_array(whole[:cut])


@given(rows=st.integers(0, 40), cols=st.integers(0, 9),
       encoding=st.sampled_from(['mono8', '32FC1', 'bgr8', 'mono16']), stamp=st.integers(0, 2**40),
       frame_id=FRAME_IDS, seed=st.integers(0, 2**32 - 1))
@settings(max_examples=80, deadline=None)
def test_images_round_trip_through_rclpy(rows, cols, encoding, stamp, frame_id, seed):
    """Every length of frame_id and encoding (so every padding), every row width."""
    rng = np.random.default_rng(seed)
    shape = (rows, cols, 3) if encoding == 'bgr8' else (rows, cols)
    dtype = {'mono8': np.uint8, 'bgr8': np.uint8, 'mono16': np.uint16, '32FC1': np.float32}
    matrix = (rng.random(shape) * 250).astype(dtype[encoding])
    msg = deserialize_message(image_bytes(matrix, encoding, stamp, frame_id), Image)
    assert (msg.header.frame_id, msg.encoding) == (frame_id, encoding)
    assert msg.header.stamp.sec * 1_000_000 + msg.header.stamp.nanosec // 1000 == stamp
    np.testing.assert_array_equal(image_to_matrix(msg, encoding), matrix)
    got_stamp, got_frame, got = read_image(
        serialize_message(matrix_to_image(matrix, encoding, stamp, frame_id)), encoding)
    assert (got_stamp, got_frame) == (stamp, frame_id)
    np.testing.assert_array_equal(got, matrix)


def test_a_bad_or_truncated_image_is_refused():
    whole = image_bytes(np.ones((4, 3), np.float32), '32FC1', 5, 'cam0')
    with pytest.raises(ValueError, match='expected a mono8 image'):
        read_image(whole, 'mono8')
    for cut in range(len(whole)):
        with pytest.raises((DataFormatError, ValueError)):
            read_image(whole[:cut], '32FC1')
