"""Malformed events messages found by hand (#24): each is refused and counted, never half
read; and a node's WARN for bad input clears once good input has flowed for a while."""

from __future__ import annotations

import numpy as np
import pytest
from support import spin_until

from hybrid_perception.errors import EventFormatError
from hybrid_perception.events.array import make_events
from hybrid_perception.events.pointcloud import pointcloud_to_events
from hybrid_perception.ros.conversions import events_to_pointcloud2

EVENTS = make_events([1000, 1001, 1002, 1003], [1, 2, 3, 4], [5, 6, 7, 8], [1, 0, 1, 0])


def test_a_width_smaller_than_the_data_is_refused_not_cut():
    msg = events_to_pointcloud2(EVENTS, 1000, 'camera')
    msg.width = 2
    with pytest.raises(EventFormatError, match='header says 1 x 2 points'):
        pointcloud_to_events(msg)


def test_big_endian_data_decodes_in_its_own_byte_order():
    from hybrid_perception.events.pointcloud import POINT_DTYPE
    msg = events_to_pointcloud2(EVENTS, 1000, 'camera')
    little = np.frombuffer(bytes(msg.data), POINT_DTYPE)
    msg.data = little.astype(POINT_DTYPE.newbyteorder('>')).tobytes()
    msg.is_bigendian = True
    assert np.array_equal(pointcloud_to_events(msg), EVENTS)


def test_a_float_x_overlapping_y_is_refused():
    from sensor_msgs.msg import PointField
    msg = events_to_pointcloud2(EVENTS, 1000, 'camera')
    msg.fields[0] = PointField(name='x', offset=0, datatype=PointField.FLOAT32, count=1)
    with pytest.raises(EventFormatError, match="field 'x' is float32"):
        pointcloud_to_events(msg)
    msg.fields[0] = PointField(name='x', offset=1, datatype=PointField.UINT16, count=1)
    with pytest.raises(EventFormatError, match="'x' and 'y' overlap"):
        pointcloud_to_events(msg)


def test_warn_for_bad_input_clears_after_a_quiet_period(ros, gesture_events):
    """One malformed packet: WARN with its reason; good packets after it and ``quiet_s``
    without another: OK again, the count kept."""
    import rclpy
    from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus
    from rclpy.parameter import Parameter
    from sensor_msgs.msg import PointCloud2

    from hybrid_perception.ros.nodes.snn_node import SnnNode
    from hybrid_perception.ros.qos import RESULTS_QOS, stream_qos
    context, executor = ros
    snn = SnnNode(context=context, parameter_overrides=[Parameter('reliability',
                                                                  value='reliable')])
    snn.health.quiet_s = 1.0
    executor.add_node(snn)
    probe = rclpy.create_node('probe', context=context)
    executor.add_node(probe)
    events = probe.create_publisher(PointCloud2, 'events', stream_qos('reliable', live=False))
    levels = []
    probe.create_subscription(DiagnosticArray, '/diagnostics', lambda m: levels.extend(
        (s.level, s.message) for s in m.status if s.name.startswith('snn_node')), RESULTS_QOS)
    assert spin_until(executor, lambda: events.get_subscription_count() >= 1, 10.0)
    bad = events_to_pointcloud2(gesture_events[:100], 0, 'camera')
    bad.width = 50
    events.publish(bad)
    assert spin_until(executor, lambda: snn.health.bad_messages == 1, 10.0)
    assert spin_until(executor, lambda: levels and levels[-1][0] == DiagnosticStatus.WARN, 5.0)
    assert 'header says' in levels[-1][1]
    for start in range(100, 2000, 100):
        events.publish(events_to_pointcloud2(gesture_events[start:start + 100],
                                             int(gesture_events['timestamp'][start]), 'camera'))
        executor.spin_once(timeout_sec=0)
    assert spin_until(executor, lambda: levels[-1][0] == DiagnosticStatus.OK, 10.0), \
        snn.health.last_error
    assert snn.health.bad_messages == 1
