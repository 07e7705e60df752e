"""`hybrid-perception record` as its own process: nothing lost, closed cleanly on signals; killed
or out of disk, a bag `salvage` mends."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import numpy as np
import pytest
import yaml
from support import spin_until

from hybrid_perception.errors import DataFormatError
from hybrid_perception.events.array import SensorSize, make_events
from hybrid_perception.io.rosbag import EventBagReader


def publish_packets(context, executor, topic, qos, n, size=100):
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
        events = _packet(k, size)
        publisher.publish(events_to_pointcloud2(events, k * 1000, 'camera'))
        sent.append(events)
    if qos.reliability.name == 'RELIABLE':
        assert publisher.wait_for_all_acked()
    spin_until(executor, lambda: False, 0.5)
    return np.concatenate(sent)


def _packet(k: int, size: int) -> np.ndarray:
    """Packet k: ``size`` events in its own millisecond (timestamps never repeat)."""
    t = np.arange(size)
    return make_events(k * 1000 + t * 1000 // size, t % 64, t % 48, t % 2)


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
    info = yaml.safe_load((bag / 'metadata.yaml').read_text())['rosbag2_bagfile_information']
    recorded = np.concatenate(list(EventBagReader(bag, sensor=SensorSize(64, 48))))
    if reliability == 'reliable':
        assert 'recorded 300 messages' in output, output
        assert info['message_count'] == 300
        assert np.array_equal(recorded, sent)
    else:   # best effort may drop on a busy host: what arrived is whole, in order, counted
        assert f'recorded {info["message_count"]} messages' in output, output
        assert 0 < info['message_count'] <= 300
        assert len(recorded) == 100 * info['message_count']
        assert np.isin(recorded['timestamp'], sent['timestamp']).all()
        assert np.all(np.diff(recorded['timestamp']) > 0)


def _record(bag, topic: str = '/cam/events') -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, '-m', 'hybrid_perception.cli', 'record', str(bag), '--topic', topic],
        env=os.environ.copy(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _salvage(bag, out) -> str:
    result = subprocess.run([sys.executable, '-m', 'hybrid_perception.cli', 'salvage',
                             str(bag), '--out', str(out)], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_a_recorder_killed_mid_recording_leaves_a_bag_salvage_reads_back(ros, tmp_path):
    """SIGKILL: no summary, no metadata.yaml, nothing opens the bag; salvage gives back every
    message of the chunks written before the kill (rosbags writes 1 MB chunks), in order: a
    prefix of what was sent (~2.4 MB are sent)."""
    from hybrid_perception.ros.qos import stream_qos
    context, executor = ros
    bag = tmp_path / 'recording'
    recorder = _record(bag)
    try:
        sent = publish_packets(context, executor, '/cam/events',
                               stream_qos('reliable', live=False), 300, size=1000)
    finally:
        recorder.kill()
        recorder.communicate(timeout=20)
    assert not (bag / 'metadata.yaml').exists()
    with pytest.raises(DataFormatError, match='hybrid-perception salvage'):
        EventBagReader(bag, sensor=SensorSize(64, 48))
    output = _salvage(bag, tmp_path / 'mended')
    mended = np.concatenate(list(EventBagReader(tmp_path / 'mended', sensor=SensorSize(64, 48))))
    assert 100_000 <= len(mended) <= len(sent)        # one 1 MB chunk at least, whole
    assert np.array_equal(mended, sent[:len(mended)])
    assert f'salvaged {len(mended) // 1000} messages' in output


@pytest.mark.skipif(os.geteuid() != 0, reason='mounting a small tmpfs needs root')
def test_a_full_disk_stops_the_recording_with_one_error_and_a_salvageable_bag(ros, tmp_path):
    import rclpy
    from sensor_msgs.msg import PointCloud2

    from hybrid_perception.ros.conversions import events_to_pointcloud2
    from hybrid_perception.ros.qos import stream_qos
    context, executor = ros
    disk = tmp_path / 'disk'
    disk.mkdir()
    # room for the bag's first 1 MB chunk, not its second
    subprocess.run(['mount', '-t', 'tmpfs', '-o', 'size=1536k', 'tmpfs', str(disk)], check=True)
    try:
        recorder = _record(disk / 'recording')
        node = rclpy.create_node('packet_source', context=context)
        publisher = node.create_publisher(PointCloud2, '/cam/events',
                                          stream_qos('reliable', live=False))
        executor.add_node(node)
        assert spin_until(executor, lambda: publisher.get_subscription_count() > 0, 20.0)
        sent = []
        for k in range(600):                  # ~8 kB each: ~5 MB
            events = _packet(k, 1000)
            publisher.publish(events_to_pointcloud2(events, k * 1000, 'camera'))
            sent.append(events)
            executor.spin_once(timeout_sec=0.002)
        from rclpy.duration import Duration
        acked = publisher.wait_for_all_acked(Duration(seconds=30))
        try:
            output, _ = recorder.communicate(timeout=60)    # it stops by itself
        except subprocess.TimeoutExpired:
            recorder.kill()
            output, _ = recorder.communicate()
            raise AssertionError(f'the recorder did not stop (acked {acked}): {output}') from None
        assert recorder.returncode == 1, output
        assert output.count('cannot write') == 1 and 'salvage' in output, output
        _salvage(disk / 'recording', tmp_path / 'mended')
    finally:
        subprocess.run(['umount', '-l', str(disk)], capture_output=True)
    sent = np.concatenate(sent)
    mended = np.concatenate(list(EventBagReader(tmp_path / 'mended', sensor=SensorSize(64, 48))))
    assert 50_000 < len(mended) < len(sent)            # the first 1 MB chunk, whole
    assert np.array_equal(mended, sent[:len(mended)])


def test_record_refuses_to_overwrite(tmp_path):
    (tmp_path / 'bag').mkdir()
    result = subprocess.run(
        [sys.executable, '-m', 'hybrid_perception.cli', 'record', str(tmp_path / 'bag'),
         '--duration', '0.1'], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and 'exists' in result.stderr


def test_salvage_refuses_what_is_not_a_bag_clearly(tmp_path, capsys):
    """In this process: exit status 2 and one line, as ``main`` gives them to the shell; the
    output bag is not started."""
    from hybrid_perception.cli.main import main
    (tmp_path / 'junk').mkdir()
    (tmp_path / 'junk' / 'junk.mcap').write_bytes(b'not an mcap file at all')
    assert main(['salvage', str(tmp_path / 'junk'), '--out', str(tmp_path / 'out')]) == 2
    assert 'not an MCAP file' in capsys.readouterr().err
    assert not (tmp_path / 'out').exists()
    (tmp_path / 'empty').mkdir()
    assert main(['salvage', str(tmp_path / 'empty')]) == 2
    assert 'expected one .mcap file' in capsys.readouterr().err
