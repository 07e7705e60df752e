"""`hybrid-perception record` as its own process: nothing lost, closed cleanly on signals."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import numpy as np
import pytest
import yaml
from support import spin_until

from hybrid_perception.events.array import make_events
from hybrid_perception.io.rosbag import EventBagReader


def publish_packets(context, executor, topic, qos, n):
    import rclpy
    from sensor_msgs.msg import PointCloud2

    from hybrid_perception.ros.conversions import events_to_pointcloud2
    node = rclpy.create_node('packet_source', context=context)
    publisher = node.create_publisher(PointCloud2, topic, qos)
    executor.add_node(node)
    assert spin_until(executor, lambda: publisher.get_subscription_count() > 0, 20.0), \
        'the recorder never subscribed'
    sent = []
    for k in range(n):
        events = make_events(np.arange(100) + k * 1000, np.arange(100) % 64,
                             np.arange(100) % 48, np.arange(100) % 2)
        publisher.publish(events_to_pointcloud2(events, k * 1000, 'camera'))
        sent.append(events)
    if qos.reliability.name == 'RELIABLE':
        assert publisher.wait_for_all_acked()
    spin_until(executor, lambda: False, 0.5)
    return np.concatenate(sent)


@pytest.mark.parametrize('signum,reliability', [(signal.SIGINT, 'reliable'),
                                                (signal.SIGTERM, 'reliable'),
                                                (signal.SIGINT, 'best_effort')])
def test_record_then_signal_closes_a_complete_bag(ros, tmp_path, signum, reliability):
    from hybrid_perception.ros.qos import stream_qos
    context, executor = ros
    bag = tmp_path / 'recording'
    recorder = subprocess.Popen(
        [sys.executable, '-m', 'hybrid_perception.cli', 'record', str(bag),
         '--topic', '/cam/events'],
        env=os.environ.copy(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        qos = stream_qos(reliability, live=False, depth=1000)
        sent = publish_packets(context, executor, '/cam/events', qos, 300)
    finally:
        recorder.send_signal(signum)
        output, _ = recorder.communicate(timeout=20)
    assert recorder.returncode == 0, output
    assert 'recorded 300 messages' in output, output
    info = yaml.safe_load((bag / 'metadata.yaml').read_text())['rosbag2_bagfile_information']
    assert info['message_count'] == 300
    from hybrid_perception.events.array import SensorSize
    reader = EventBagReader(bag, sensor=SensorSize(64, 48))
    assert np.array_equal(np.concatenate(list(reader)), sent)


def test_record_refuses_to_overwrite(tmp_path):
    (tmp_path / 'bag').mkdir()
    result = subprocess.run(
        [sys.executable, '-m', 'hybrid_perception.cli', 'record', str(tmp_path / 'bag'),
         '--duration', '0.1'], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and 'exists' in result.stderr
