"""dvs_driver over real DDS: in one process, and as its own executable in another."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess

import numpy as np
import pytest
from support import OST_YAML, spin_until

from hybrid_perception.events.array import SensorSize, make_events
from hybrid_perception.io.rosbag import EventBagWriter
from hybrid_perception.io.sources import SyntheticSource

SENSOR = SensorSize(64, 48)


def write_bag(path, packets):
    with EventBagWriter(path, SENSOR) as writer:
        for packet in packets:
            writer.write(packet)
    return sum(p.size for p in packets)


@pytest.fixture
def synthetic_bag(tmp_path):
    chunks = [c for c in SyntheticSource(SENSOR, duration_s=0.5, seed=3) if c.size]
    return tmp_path / 'synthetic', write_bag(tmp_path / 'synthetic', chunks)


class Listener:
    """Counts events and keeps diagnostics heard on the driver's topics."""

    def __init__(self, context, executor):
        import rclpy
        from diagnostic_msgs.msg import DiagnosticArray
        from sensor_msgs.msg import CameraInfo, Image, PointCloud2

        from hybrid_perception.events.pointcloud import pointcloud_to_events
        from hybrid_perception.ros.qos import RESULTS_QOS, stream_qos
        self.node = rclpy.create_node('listener', context=context)
        self.events, self.frames, self.diagnostics = [], [], []
        self.node.create_subscription(
            PointCloud2, 'events', lambda m: self.events.append(pointcloud_to_events(m)),
            stream_qos('reliable', live=False))
        self.node.create_subscription(Image, 'event_frame', self.frames.append, RESULTS_QOS)
        self.infos = []
        self.node.create_subscription(CameraInfo, 'camera_info', self.infos.append, RESULTS_QOS)
        self.node.create_subscription(DiagnosticArray, '/diagnostics',
                                      lambda m: self.diagnostics.extend(m.status), RESULTS_QOS)
        executor.add_node(self.node)

    @property
    def count(self) -> int:
        return sum(e.size for e in self.events)

    def values(self) -> dict[str, str]:
        return {kv.key: kv.value for kv in self.diagnostics[-1].values}


def start_driver(context, executor, **parameters):
    from rclpy.parameter import Parameter

    from hybrid_perception.ros.nodes.dvs_driver import DvsDriver
    driver = DvsDriver(context=context, parameter_overrides=[
        Parameter(k, value=v) for k, v in parameters.items()])
    executor.add_node(driver)
    return driver


def test_replays_every_event_of_a_bag_as_fast_as_possible(ros, synthetic_bag):
    context, executor = ros
    path, n_events = synthetic_bag
    listener = Listener(context, executor)
    driver = start_driver(context, executor, source='rosbag', path=str(path), rate=0.0,
                          wait_for_subscribers=1)
    assert spin_until(executor, lambda: listener.count >= n_events, 20.0)
    assert listener.count == n_events == driver.stats['events']
    stamps = [int(e['timestamp'][0]) for e in listener.events]
    assert stamps == sorted(stamps)
    assert spin_until(executor, lambda: driver.finished.done(), 5.0)


def test_bad_events_are_dropped_counted_and_reported(ros, tmp_path):
    context, executor = ros
    good = make_events([1000, 1100, 1200, 2500], [1, 2, 3, 4], [1, 2, 3, 4], [1, 0, 1, 0])
    bad = make_events([2600, 2000, 2700], [70, 5, 6], [1, 1, 50], [1, 1, 1])  # x, t, y
    with EventBagWriter(tmp_path / 'bad', SENSOR) as writer:
        writer.write(good)
        writer.write(bad, stamp_us=2000)
    listener = Listener(context, executor)
    driver = start_driver(context, executor, source='rosbag', path=str(tmp_path / 'bad'),
                          rate=0.0, wait_for_subscribers=1)
    assert spin_until(executor, driver.finished.done, 10.0)
    assert spin_until(executor, lambda: listener.count >= 4, 5.0)
    assert np.array_equal(np.concatenate(listener.events), good)
    assert spin_until(executor, lambda: listener.diagnostics and
                      listener.values().get('dropped_out_of_bounds') == '2', 5.0)
    assert listener.values()['dropped_backwards_in_time'] == '1'
    assert listener.diagnostics[-1].level == b'\x01'  # WARN


@pytest.mark.parametrize('parameters,message', [
    ({'source': 'rosbag', 'path': '/no/such/bag'}, 'no such file'),  # may appear later
    ({'source': 'camera'}, 'no event camera connected'),
])
def test_failing_source_is_reported_and_node_keeps_running(ros, parameters, message):
    context, executor = ros
    listener = Listener(context, executor)
    driver = start_driver(context, executor, retry_period_s=0.2, **parameters)
    assert spin_until(executor, lambda: driver.stats['source_errors'] >= 2, 5.0)
    assert spin_until(executor, lambda: any(message in s.message for s in listener.diagnostics))
    assert listener.diagnostics[-1].level == b'\x02'  # ERROR
    assert not driver.finished.done() and listener.count == 0
    assert listener.infos == []  # no source open: no size to announce


@pytest.mark.parametrize('parameters,message', [
    ({'rate': -1.0}, 'rate must be >= 0'),
    ({'packet_period_us': 0}, 'packet_period_us must be > 0'),
    ({'reliability': 'sometimes'}, 'reliability must be one of'),
    ({'source': 'webcam', 'view_rate_hz': 0.0}, 'source must be one of'),
    ({'rate': 'fast'}, 'parameter rate takes a floating-point number like 1.0, got .fast.'),
    ({'loop': 1}, 'parameter loop takes a boolean'),
])
def test_invalid_parameters_are_refused_with_the_reason(ros, parameters, message):
    from hybrid_perception.errors import HybridPerceptionError
    context, executor = ros
    with pytest.raises(HybridPerceptionError, match=message):
        start_driver(context, executor, **parameters)


def test_an_integer_is_taken_where_a_float_is_declared(ros):
    """``rate:=3`` on a command line or in a launch file is an integer: it means 3.0."""
    context, executor = ros
    driver = start_driver(context, executor, rate=3, view_rate_hz=10)
    assert driver.p['rate'] == 3.0 and type(driver.p['rate']) is float
    assert type(driver.p['view_rate_hz']) is float


def test_driver_executable_exits_cleanly_on_invalid_parameters():
    result = subprocess.run([shutil.which('dvs_driver'), '--ros-args', '-p', 'rate:=-2.0'],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert 'rate must be >= 0' in result.stderr + result.stdout
    assert 'Traceback' not in result.stderr


def test_bag_broken_mid_replay_is_not_replayed_again(ros, tmp_path):
    import sqlite3
    context, executor = ros
    path = tmp_path / 'damaged'
    with EventBagWriter(path, SENSOR, storage='sqlite3') as writer:
        for k in range(20):
            writer.write(make_events(k * 1000 + np.arange(10), np.arange(10), np.arange(10),
                                     np.ones(10)))
    with sqlite3.connect(next(path.glob('*.db3'))) as db:  # garble the 10th events packet
        (row,), = db.execute('SELECT id FROM messages WHERE topic_id = (SELECT id FROM topics '
                             "WHERE name = '/events') ORDER BY timestamp LIMIT 1 OFFSET 9")
        db.execute('UPDATE messages SET data = ? WHERE id = ?', (b'\xff' * 64, row))
    listener = Listener(context, executor)
    driver = start_driver(context, executor, source='rosbag', path=str(path), rate=0.0,
                          retry_period_s=0.1, wait_for_subscribers=1)
    assert spin_until(executor, lambda: driver.stats['source_errors'] == 1, 20.0)
    spin_until(executor, lambda: False, 1.0)  # ten retry periods
    assert driver.stats['source_errors'] == 1
    assert listener.count == driver.stats['events'] == 90
    stamps = [int(e['timestamp'][0]) for e in listener.events]
    assert stamps == sorted(set(stamps))  # nothing published twice, nothing back in time
    assert listener.diagnostics[-1].level == b'\x02'  # ERROR


def test_synthetic_source_streams_in_real_time_with_event_frames(ros):
    context, executor = ros
    listener = Listener(context, executor)
    start_driver(context, executor, sensor_width=64, sensor_height=48, view_rate_hz=20.0)
    assert spin_until(executor, lambda: len(listener.frames) >= 3 and listener.count > 1000)
    assert (listener.infos[-1].width, listener.infos[-1].height) == (SENSOR.width, SENSOR.height)
    frame = listener.frames[-1]
    assert (frame.width, frame.height, frame.encoding) == (64, 48, 'bgr8')
    packets = listener.events
    spans = [int(p['timestamp'][-1] - p['timestamp'][0]) for p in packets]
    assert max(spans) < 1000  # default packets hold 1 ms of events


def test_driver_executable_delivers_every_event_to_another_process(ros, synthetic_bag):
    context, executor = ros
    path, n_events = synthetic_bag
    executable = shutil.which('dvs_driver')
    assert executable, 'dvs_driver is not on PATH: the package is not installed'
    listener = Listener(context, executor)
    driver = subprocess.Popen(
        [executable, '--ros-args', '-p', 'source:=rosbag', '-p', f'path:={path}',
         '-p', 'rate:=0.0', '-p', 'wait_for_subscribers:=1'],
        env=os.environ.copy(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        # a hang guard, not a speed limit: the node starts in seconds on a quiet machine
        delivered = spin_until(executor, lambda: listener.count >= n_events, 120.0)
    finally:
        driver.send_signal(signal.SIGINT)
        output, _ = driver.communicate(timeout=10)
    assert delivered and listener.count == n_events, (listener.count, n_events, output)
    assert driver.returncode == 0, output
    assert f'end of {path}' in output and 'Traceback' not in output


def test_file_source_plays_a_jaer_recording_at_its_own_size(ros, tmp_path, rng):
    """source:=file reads what the file is (a DAVIS346 jAER AEDAT 2.0 named .aedat), announces
    its 346x260 sensor, and publishes every pixel event."""
    from hybrid_perception.io.recordings.jaer import write_aedat2
    n = 5000
    events = make_events(np.sort(rng.integers(0, 400_000, n)), rng.integers(0, 346, n),
                         rng.integers(0, 260, n), rng.integers(0, 2, n))
    path = write_aedat2(tmp_path / 'walking.aedat', events,
                        chip='eu.seebetter.ini.chips.davis.Davis346B')
    context, executor = ros
    listener = Listener(context, executor)
    driver = start_driver(context, executor, source='file', path=str(path), rate=0.0,
                          wait_for_subscribers=1)
    assert spin_until(executor, driver.finished.done, 20.0)
    assert spin_until(executor, lambda: listener.count >= n, 5.0)
    assert np.array_equal(np.concatenate(listener.events), events)
    assert driver.sensor == SensorSize(346, 260)
    assert spin_until(executor, lambda: listener.diagnostics and
                      listener.values().get('read_as') == 'AEDAT 2.0 (jAER)', 5.0)


def test_damaged_recording_publishes_its_good_part_once_and_says_where_it_broke(
        ros, tmp_path, rng):
    from hybrid_perception.io.recordings.aedat3 import write_aedat3
    n = 4000
    events = make_events(np.sort(rng.integers(0, 400_000, n)), rng.integers(0, 128, n),
                         rng.integers(0, 128, n), rng.integers(0, 2, n))
    path = write_aedat3(tmp_path / 'user24_led.aedat', events, packet_events=500)
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2 + 3])
    context, executor = ros
    listener = Listener(context, executor)
    driver = start_driver(context, executor, source='file', path=str(path), rate=0.0,
                          retry_period_s=0.1, wait_for_subscribers=1)
    assert spin_until(executor, lambda: driver.stats['source_errors'] == 1, 20.0)
    spin_until(executor, lambda: False, 1.0)  # ten retry periods: no second attempt
    assert driver.stats['source_errors'] == 1
    got = np.concatenate(listener.events)
    assert 0 < got.size < n and np.array_equal(got, events[:got.size])
    assert spin_until(executor, lambda: any(
        'user24_led.aedat: read as AEDAT 3.1: truncated' in s.message
        for s in listener.diagnostics), 5.0)


@pytest.mark.parametrize('url', ['', 'ours', 'for another camera'])
def test_camera_info_carries_the_bags_calibration_a_files_or_refuses_a_wrong_one(
        ros, tmp_path, rng, url):
    """A bag's own CameraInfo K goes out on camera_info; camera_info_url (a camera_calibration
    YAML) replaces it; a calibration for another image size is refused with a WARN and
    camera_info keeps the size only (all-zero K, ROS's "uncalibrated")."""
    k = np.array([[50.0, 0, 32], [0, 51.0, 24], [0, 0, 1]])
    events = make_events(np.sort(rng.integers(0, 200_000, 500)), rng.integers(0, 64, 500),
                         rng.integers(0, 48, 500), 1)
    with EventBagWriter(tmp_path / 'calibrated', SENSOR, intrinsics=k) as writer:
        writer.write(events)
    files = {'ours': ('ost.yaml', OST_YAML.replace('346', '64').replace('260', '48')),
             'for another camera': ('davis346.yaml', OST_YAML)}
    expected_k, note = k.ravel(), 'calibrated ('
    if url:
        name, text = files[url]
        (tmp_path / name).write_text(text)
        url = f'file://{tmp_path / name}' if url == 'ours' else str(tmp_path / name)
        expected_k, note = ((256.1, 0, 172.4), str(tmp_path / name)) if name == 'ost.yaml' \
            else (np.zeros(9), 'refused: ')
    context, executor = ros
    listener = Listener(context, executor)
    driver = start_driver(context, executor, source='rosbag', path=str(tmp_path / 'calibrated'),
                          rate=0.0, loop=True, camera_info_url=url)
    assert spin_until(executor, lambda: listener.infos and listener.diagnostics, 10.0)
    info = listener.infos[-1]
    assert (info.width, info.height) == (64, 48)
    assert np.allclose(info.k[:len(expected_k)], expected_k), (info.k, listener.values())
    assert note in listener.values()['calibration'], listener.values()
    if note == 'refused: ':
        assert 'is for 346x260 images, the sensor is 64x48' in listener.values()['calibration']
        assert listener.diagnostics[-1].level == b'\x01'  # WARN
        assert driver.stats['calibration_errors'] == 1
