"""The PoseArrays the nodes write and read as bytes, against rclpy's own serializer."""

import numpy as np
import pytest
from geometry_msgs.msg import PoseArray
from hypothesis import given, settings
from hypothesis import strategies as st
from rclpy.serialization import deserialize_message, serialize_message
from support import pose_array, pose_points

from hybrid_perception.errors import DataFormatError
from hybrid_perception.ros.conversions import pose_array_bytes, read_pose_array

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


def test_a_truncated_pose_array_is_refused():
    whole = pose_array_bytes(np.ones((13, 2)), 5, 'cam0')
    for cut in range(len(whole)):
        with pytest.raises(DataFormatError):
            read_pose_array(whole[:cut])
