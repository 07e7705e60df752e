"""event_camera_msgs/EventPacket over real DDS: H1's graph decides the same from each
encoding as from PointCloud2, lost packets show in /diagnostics, damaged packets are counted
and the graph goes on, dvs_driver's EventPacket output decodes back to what it read, and an
EventPacket bag is forwarded as recorded."""

from __future__ import annotations

import numpy as np
import pytest
from support import spin_until

from hybrid_perception.datasets.gestures import GestureClips
from hybrid_perception.events.array import SensorSize, concatenate, make_events
from hybrid_perception.events.codecs import ENCODINGS, PacketStream, RawPacket
from hybrid_perception.io.sources import packetize

SENSOR = GestureClips().renderer.sensor   # the shipped models' DVS128


class PacketProbe:
    """Publishes EventPacket messages as a camera driver would and hears H1's outputs."""

    def __init__(self, context, executor, encoding='evt3'):
        import rclpy
        from diagnostic_msgs.msg import DiagnosticArray
        from event_camera_msgs.msg import EventPacket
        from sensor_msgs.msg import Image

        from hybrid_perception.ros.qos import RESULTS_QOS, stream_qos
        self.encoding, self.seq = encoding, 0
        self.node = rclpy.create_node('camera_driver', context=context)
        self.events = self.node.create_publisher(EventPacket, 'events',
                                                 stream_qos('reliable', live=False))
        self.probabilities, self.status = [], {}
        self.node.create_subscription(Image, 'classification', self._keep, RESULTS_QOS)
        self.node.create_subscription(DiagnosticArray, '/diagnostics', self._on_status,
                                      RESULTS_QOS)
        executor.add_node(self.node)

    def _keep(self, msg) -> None:
        from hybrid_perception.ros.conversions import image_to_matrix
        self.probabilities.append(image_to_matrix(msg, '32FC1'))

    def _on_status(self, msg) -> None:
        for status in msg.status:
            self.status[status.name.split(':')[0]] = {kv.key: kv.value for kv in status.values}

    def publish(self, events, executor, skip_seq=()) -> None:
        from hybrid_perception.events.cdr import write_event_packet
        from hybrid_perception.events.codecs import encode_packet
        assert spin_until(executor, lambda: self.events.get_subscription_count() >= 1, 10.0)
        for stamp, packet in packetize([events], 1000):
            self.seq += 1 + (self.seq in skip_seq)
            self.events.publish(write_event_packet(encode_packet(
                packet, self.encoding, SENSOR.width, SENSOR.height, self.seq,
                None if packet.size else stamp), 'camera'))
            executor.spin_once(timeout_sec=0)


def start_h1(context, executor):
    from hybrid_perception.ros.graph import start_graph
    model = 'gesture/hybrid'
    nodes = start_graph({'snn_node': {'model': model, 'reliability': 'reliable',
                                      'events_type': 'event_packet'},
                         'accumulator_node': {'model': model}, 'ann_node': {'model': model}},
                        context=context)
    for node in nodes:
        executor.add_node(node)
    return nodes


@pytest.mark.parametrize('encoding', ENCODINGS)
def test_h1_decides_from_each_encoding_as_from_pointcloud2(ros, gesture_events, encoding,
                                                          offline_probabilities):
    """The probabilities are the model's on the events themselves, which is what the same
    graph publishes from PointCloud2 (test_gesture_graph)."""
    context, executor = ros
    probe = PacketProbe(context, executor, encoding)
    start_h1(context, executor)
    probe.publish(gesture_events, executor)
    probe.publish(make_events([240_000], [0], [0], [1]), executor)  # the stream moves on
    assert spin_until(executor, lambda: len(probe.probabilities) == 6, 30.0)
    assert np.allclose(np.concatenate(probe.probabilities),
                       offline_probabilities(gesture_events), atol=1e-4)


def test_lost_and_damaged_packets_show_in_diagnostics_and_the_graph_goes_on(ros,
                                                                            gesture_events):
    from event_camera_msgs.msg import EventPacket
    context, executor = ros
    probe = PacketProbe(context, executor)
    snn, _, _ = start_h1(context, executor)
    assert spin_until(executor, lambda: probe.events.get_subscription_count() >= 1, 10.0)
    damaged = EventPacket(encoding='evt9', width=128, height=128, seq=0)
    probe.events.publish(damaged)                               # unknown encoding
    damaged.encoding, damaged.events = 'evt3', np.array([0x8000, 0x6000, 0x2005, 0x9000],
                                                        '<u2').tobytes() + b'\x01'
    probe.events.publish(damaged)                               # a reserved word, cut short
    probe.publish(gesture_events, executor, skip_seq=(3, 10))   # two packets lost
    probe.publish(make_events([240_000], [0], [0], [1]), executor)
    assert spin_until(executor, lambda: len(probe.probabilities) == 6, 30.0)
    assert snn.health.bad_messages == 2 and snn.input.packets.dropped_packets == 2
    assert spin_until(executor, lambda: probe.status.get('snn_node', {}).get(
        'dropped_packets') == '2', 10.0), probe.status.get('snn_node')
    assert int(probe.status['snn_node']['undecoded_words']) == 2   # the word and the byte


def test_driver_event_packets_decode_back_to_the_events_it_read(ros, tmp_path):
    from event_camera_msgs.msg import EventPacket
    from sensor_msgs.msg import PointCloud2

    from hybrid_perception.events.pointcloud import pointcloud_to_events
    from hybrid_perception.ros.qos import stream_qos
    context, executor = ros
    import rclpy
    node = rclpy.create_node('listener', context=context)
    clouds, packets = [], []
    node.create_subscription(PointCloud2, 'events', lambda m: clouds.append(
        pointcloud_to_events(m)), stream_qos('reliable', live=False))
    node.create_subscription(EventPacket, 'event_packets', packets.append,
                             stream_qos('reliable', live=False))
    executor.add_node(node)
    from rclpy.parameter import Parameter

    from hybrid_perception.ros.nodes.dvs_driver import DvsDriver
    driver = DvsDriver(context=context, parameter_overrides=[
        Parameter(k, value=v) for k, v in dict(
            source='synthetic', rate=0.0, events_type='both', encoding='evt3',
            sensor_width=346, sensor_height=260, wait_for_subscribers=1).items()])
    executor.add_node(driver)
    assert spin_until(executor, lambda: sum(c.size for c in clouds) > 20_000
                      and len(packets) >= len(clouds), 30.0)
    driver.finished.set_result(0)   # the simulator never ends: stop it here
    expected = concatenate(clouds)
    stream = PacketStream()
    decoded = concatenate([stream.push(RawPacket.of_message(m))[0].copy()
                           for m in packets[:len(clouds)]])
    assert (packets[0].width, packets[0].height, packets[0].encoding) == (346, 260, 'evt3')
    assert [m.seq for m in packets] == list(range(len(packets)))
    for field in ('timestamp', 'x', 'y', 'polarity'):
        assert np.array_equal(decoded[field], expected[field])
    assert stream.counts.total == 0


def replayed(ros, **parameters):
    """A DvsDriver with ``parameters`` played to its end at full speed, and every EventPacket
    a listener received from it, as raw CDR bytes."""
    import rclpy
    from event_camera_msgs.msg import EventPacket
    from rclpy.parameter import Parameter

    from hybrid_perception.ros.nodes.dvs_driver import DvsDriver
    from hybrid_perception.ros.qos import stream_qos
    context, executor = ros
    node = rclpy.create_node('listener', context=context)
    received = []
    node.create_subscription(EventPacket, 'events', received.append,
                             stream_qos('reliable', live=False), raw=True)
    executor.add_node(node)
    driver = DvsDriver(context=context, parameter_overrides=[
        Parameter(k, value=v) for k, v in dict(
            rate=0.0, events_type='event_packet', wait_for_subscribers=1,
            **parameters).items()])
    executor.add_node(driver)
    assert spin_until(executor, driver.finished.done, 30.0)
    assert spin_until(executor, lambda: len(received) >= driver.stats['packets'], 10.0)
    return driver, received


@pytest.mark.parametrize('encoding, forward, forwarded', [('evt3', True, True),
                                                          ('evt3', False, False),
                                                          ('evt2', True, False)])
def test_an_event_packet_bag_is_forwarded_as_recorded(ros, tmp_path, encoding, forward,
                                                      forwarded):
    """An evt3 bag replayed as evt3: its packets go out as recorded (words, stamps and seq;
    nothing decoded); asked for another encoding, or with forward_packets off, the events are
    re-encoded. The readers get the same events either way."""
    from hybrid_perception.events.cdr import read_event_packet
    from hybrid_perception.io.rosbag import EventBagReader, EventBagWriter
    rng = np.random.default_rng(5)
    n = 6000
    events = make_events(50_000 + np.sort(rng.integers(0, 30_000, n)), rng.integers(0, 346, n),
                         rng.integers(0, 260, n), rng.integers(0, 2, n))
    with EventBagWriter(tmp_path / 'bag', SensorSize(346, 260), encoding='evt3') as writer:
        for stamp, packet in packetize([events], 2000):
            writer.write(packet, stamp)
    recorded = list(EventBagReader(tmp_path / 'bag').recorded_packets())
    driver, received = replayed(ros, source='rosbag', path=str(tmp_path / 'bag'),
                                encoding=encoding, forward_packets=forward,
                                packet_period_us=2000, frame_id='cam9')
    packets = [read_event_packet(raw) for raw in received]
    assert {frame for _, frame in packets} == {'cam9'}
    assert driver.forwarding == forwarded
    if forwarded:
        assert [p for p, _ in packets] == recorded                      # bit for bit
        assert driver.stats['forwarded_bytes'] == sum(len(p.data) for p in recorded)
    else:
        assert {p.encoding for p, _ in packets} == {encoding}
        assert driver.stats['events'] == n
    stream = PacketStream()
    decoded = concatenate([stream.push(p)[0].copy() for p, _ in packets])
    assert np.array_equal(decoded, events) and stream.counts.total == 0


def test_a_raw_evt3_file_is_decoded_and_re_encoded_not_forwarded(ros, tmp_path):
    """A Prophesee RAW EVT 3.0 file (written by faery's encoder) asked for as evt3 has words
    but no packets to forward: the driver reads it like any recording (it crashed once on
    trying to forward one)."""
    import faery
    from faery.extension import evt

    from hybrid_perception.events.cdr import read_event_packet
    rng = np.random.default_rng(6)
    n = 3000
    t = 1000 + np.sort(rng.integers(0, 20_000, n))
    raw = np.zeros(n, faery.EVENTS_DTYPE)
    raw['t'], raw['x'], raw['y'] = t, rng.integers(0, 346, n), rng.integers(0, 260, n)
    raw['on'] = rng.integers(0, 2, n) > 0
    with evt.Encoder(str(tmp_path / 'rec.raw'), 'evt3', False, (346, 260), True) as encoder:
        encoder.write({'events': raw})
    driver, received = replayed(ros, source='file', path=str(tmp_path / 'rec.raw'),
                                encoding='evt3')
    assert not driver.forwarding and driver.stats['events'] == n
    stream = PacketStream()
    decoded = concatenate([stream.push(read_event_packet(r)[0])[0].copy() for r in received])
    assert decoded['timestamp'].tolist() == t.tolist()
    assert decoded['x'].tolist() == raw['x'].tolist()
