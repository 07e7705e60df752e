"""Every message a node subscribes, fuzzed over real DDS (#24): random and mutated PointCloud2
(fields, widths, steps, truncated data, events off the sensor or back in time), EventPackets
(every encoding, a wrong one, mutated words, sizes), Images of wrong encodings and shapes,
state vectors of wrong sizes, poses with the wrong count or NaN, camera_info of any size. All
the graphs' nodes run in this process on one executor: a callback that raised would end the
test. Each message is counted at most once as bad, and after the fuzz every node still does
its work on good input."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from support import spin_until

from hybrid_perception.events.array import make_events

ENCODINGS = ('mono8', '32FC1', 'bgr8', 'rgb8', 'mono16', '8UC3', '16SC1', 'bogus', '')
PACKET_ENCODINGS = ('evt3', 'evt2', 'libcaer', 'libcaer_cmp', 'mono', 'evt21', 'bogus', '')


@dataclass
class Fuzzed:
    """One node input under fuzz: its topic, the nodes that read it, what was tried and how
    many each node refused."""

    topic: str
    readers: list
    tried: int = 0
    refused: dict = field(default_factory=dict)


class Graph:
    """H1 (PointCloud2 and EventPacket inputs), H2 (one camera) and H3 nodes, and a publisher
    per input topic; each message is sent once every node reading it has handled the last."""

    def __init__(self, context, executor) -> None:
        import rclpy
        from event_camera_msgs.msg import EventPacket
        from geometry_msgs.msg import PoseArray
        from rclpy.parameter import Parameter
        from sensor_msgs.msg import CameraInfo, Image, PointCloud2

        from hybrid_perception.ros.graph import _node_type
        from hybrid_perception.ros.qos import RESULTS_QOS

        def start(kind: str, namespace: str = '', **parameters):
            node = _node_type(kind)(context=context, namespace=namespace, parameter_overrides=[
                Parameter(k, value=v) for k, v in {'reliability': 'reliable', **parameters}
                .items()])
            executor.add_node(node)
            return node

        snn = start('snn_node')
        packets = start('snn_node', 'packets', events_type='event_packet')
        initializer = start('state_initializer_node', 'cam0')
        pose = start('pose_snn_node', 'cam0')
        skeleton = start('skeleton_node')
        self.nodes = [snn, packets, start('accumulator_node'), start('ann_node'), initializer,
                      pose, skeleton, start('image_classifier_node')]
        self.executor = executor
        self.probe = rclpy.create_node('fuzz_probe', context=context)
        executor.add_node(self.probe)
        inputs = {'/events': (PointCloud2, [snn]), '/camera_info': (CameraInfo, [snn]),
                  '/packets/events': (EventPacket, [packets]),
                  '/cam0/events': (PointCloud2, [initializer, pose]),
                  '/snn/spikes': (Image, [self.nodes[2]]), '/features': (Image, [self.nodes[3]]),
                  '/cam0/snn/state_init': (Image, [pose]), '/cam0/pose': (PoseArray, [skeleton]),
                  '/cam0/event_frame': (Image, [skeleton]), '/image': (Image, [self.nodes[7]])}
        self.fuzzed = {topic: Fuzzed(topic, readers) for topic, (_, readers) in inputs.items()}
        self.publishers = {}
        for topic, (kind, _) in inputs.items():
            self.publishers[topic] = self.probe.create_publisher(kind, topic, RESULTS_QOS)
        assert spin_until(executor, lambda: all(
            self.publishers[topic].get_subscription_count() >= len(readers)
            for topic, (_, readers) in inputs.items()), 30.0)

    def send(self, topic: str, msg) -> None:
        """Publish one message, serve every node until it is handled, and check that each
        reader counted it as bad once at most."""
        fuzzed = self.fuzzed[topic]
        before = [node.health.bad_messages for node in fuzzed.readers]
        arrived = [sum(node.health.arrivals.values()) for node in fuzzed.readers]
        self.publishers[topic].publish(msg)
        assert spin_until(self.executor, lambda: all(
            sum(node.health.arrivals.values()) > was
            for node, was in zip(fuzzed.readers, arrived, strict=True)), 30.0), topic
        fuzzed.tried += 1
        for node, was in zip(fuzzed.readers, before, strict=True):
            refused = node.health.bad_messages - was
            assert refused in (0, 1), (topic, node.get_name(), refused, node.health.last_error)
            key = node.get_namespace().strip('/') + '/' + node.get_name()
            fuzzed.refused[key] = fuzzed.refused.get(key, 0) + refused


@pytest.fixture(scope='module')
def graph():
    import rclpy

    from hybrid_perception.ros.entry import make_executor, stop_node
    pytest.importorskip('event_camera_msgs.msg', reason='event_camera_msgs is not built')
    context = rclpy.Context()
    rclpy.init(context=context)
    executor = make_executor(context)
    built = Graph(context, executor)
    yield built
    print('\nfuzz: input, messages tried, refused by each reader')
    for fuzzed in built.fuzzed.values():
        print(f'  {fuzzed.topic}: {fuzzed.tried} tried, refused {fuzzed.refused}')
    for node in executor.get_nodes():
        executor.remove_node(node)
        stop_node(node)
    executor.shutdown()
    context.try_shutdown()


#: bounded: 40 messages an input, and no shrinking (each example is a round trip through DDS
#: and every node; a failure is reported as found)
FUZZ = settings(max_examples=40, phases=[Phase.explicit, Phase.reuse, Phase.generate],
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@st.composite
def events(draw, width: int = 128, height: int = 128) -> np.ndarray:
    """Events mostly on a width x height sensor and in order; some off it or back in time."""
    n = draw(st.integers(0, 40))
    t = np.cumsum(draw(st.lists(st.integers(-50, 3000), min_size=n, max_size=n)))
    t = t + draw(st.integers(0, 10**9))
    x = draw(st.lists(st.integers(-3, width + 3), min_size=n, max_size=n))
    y = draw(st.lists(st.integers(-3, height + 3), min_size=n, max_size=n))
    p = draw(st.lists(st.integers(0, 1), min_size=n, max_size=n))
    return make_events(np.maximum(t, 0), np.clip(x, 0, 65535), np.clip(y, 0, 65535), p)


@st.composite
def mutated_bytes(draw, data: bytes) -> bytes:
    """``data`` cut short, extended, or with bytes overwritten."""
    data = bytearray(data)
    for _ in range(draw(st.integers(0, 3))):
        how = draw(st.sampled_from(['cut', 'extend', 'flip']))
        if how == 'cut':
            del data[draw(st.integers(0, len(data))):]
        elif how == 'extend':
            data += draw(st.binary(max_size=16))
        elif data:
            data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    return bytes(data)


@st.composite
def point_clouds(draw):
    from sensor_msgs.msg import PointField

    from hybrid_perception.ros.conversions import events_to_pointcloud2
    batch = draw(events())
    msg = events_to_pointcloud2(batch, int(batch['timestamp'].min()) if batch.size else 0, 'cam')
    for _ in range(draw(st.integers(0, 3))):
        how = draw(st.sampled_from(['width', 'height', 'point_step', 'row_step', 'bigendian',
                                    'field', 'drop_field', 'data']))
        if how in ('width', 'height', 'point_step', 'row_step'):
            setattr(msg, how, draw(st.integers(0, 2 * max(1, getattr(msg, how)) + 2)))
        elif how == 'bigendian':
            msg.is_bigendian = not msg.is_bigendian
        elif how == 'field' and msg.fields:
            index = draw(st.integers(0, len(msg.fields) - 1))
            old = msg.fields[index]
            msg.fields[index] = PointField(
                name=draw(st.sampled_from([old.name, 'x', 'y', 't', 'p', 'polarity', 'q'])),
                offset=draw(st.integers(0, 20)), datatype=draw(st.integers(0, 9)),
                count=draw(st.integers(0, 2)))
        elif how == 'drop_field' and msg.fields:
            del msg.fields[draw(st.integers(0, len(msg.fields) - 1))]
        else:
            msg.data = draw(mutated_bytes(bytes(msg.data)))
    return msg


@st.composite
def event_packets(draw):
    """A good packet of events as the driver writes it, its fields then mutated (bytes: what
    the driver publishes)."""
    from dataclasses import replace

    from hybrid_perception.events.cdr import write_event_packet
    from hybrid_perception.events.codecs import encode_packet
    batch = draw(events())
    encoding = draw(st.sampled_from(PACKET_ENCODINGS[:5]))
    batch = batch[(batch['x'] < 128) & (batch['y'] < 128)]
    batch = batch[np.argsort(batch['timestamp'], kind='stable')]
    packet = encode_packet(batch, encoding, 128, 128, draw(st.integers(0, 2**32 - 1)),
                           None if batch.size else 0)
    for _ in range(draw(st.integers(0, 3))):
        how = draw(st.sampled_from(['encoding', 'size', 'time_base', 'data', 'seq']))
        if how == 'encoding':
            packet = replace(packet, encoding=draw(st.sampled_from(PACKET_ENCODINGS)))
        elif how == 'size':
            packet = replace(packet, width=draw(st.integers(0, 5000)),
                             height=draw(st.integers(0, 5000)))
        elif how == 'time_base':
            packet = replace(packet, time_base=draw(st.integers(0, 2**64 - 1)))
        elif how == 'seq':
            packet = replace(packet, seq=draw(st.integers(0, 2**32 - 1)))
        else:
            packet = replace(packet, data=draw(mutated_bytes(bytes(packet.data))))
    return write_event_packet(packet, 'cam')


@st.composite
def images(draw, rows: int, columns: int, encoding: str):
    """The node's own kind of image (``rows`` x ``columns`` of ``encoding``), mutated: another
    shape, encoding, step or byte order, data cut short or extended."""
    from hybrid_perception.ros.conversions import matrix_to_image
    dtype = {'mono8': np.uint8, '32FC1': np.float32, 'bgr8': np.uint8}[encoding]
    shape = (rows, columns, 3) if encoding == 'bgr8' else (rows, columns)
    values = draw(st.sampled_from([0.0, 1.0, 255.0, np.nan, np.inf, -1.0]))
    with np.errstate(invalid='ignore'):          # NaN as uint8: whatever the cast gives
        matrix = np.full(shape, values).astype(dtype)
    msg = matrix_to_image(matrix, encoding, 0, 'cam')
    for _ in range(draw(st.integers(0, 3))):
        how = draw(st.sampled_from(['height', 'width', 'step', 'encoding', 'bigendian', 'data']))
        if how in ('height', 'width', 'step'):
            setattr(msg, how, draw(st.integers(0, 2 * getattr(msg, how) + 2)))
        elif how == 'encoding':
            msg.encoding = draw(st.sampled_from(ENCODINGS))
        elif how == 'bigendian':
            msg.is_bigendian = not msg.is_bigendian
        else:
            msg.data = draw(mutated_bytes(bytes(msg.data)))
    return msg


@st.composite
def pose_arrays(draw):
    from geometry_msgs.msg import Pose, PoseArray
    msg = PoseArray()
    msg.header.frame_id = 'cam0'
    for _ in range(draw(st.sampled_from([13, 13, 0, 1, 12, 14, 40]))):
        pose = Pose()
        pose.position.x, pose.position.y = (draw(st.floats(-1e6, 1e6) | st.just(float('nan')))
                                            for _ in range(2))
        msg.poses.append(pose)
    return msg


@st.composite
def camera_infos(draw):
    from sensor_msgs.msg import CameraInfo
    return CameraInfo(width=draw(st.integers(0, 100_000)), height=draw(st.integers(0, 100_000)))


INPUTS = {'/events': point_clouds(), '/cam0/events': point_clouds(),
          '/camera_info': camera_infos(), '/packets/events': event_packets(),
          '/snn/spikes': images(4096, 1, 'mono8'), '/features': images(16, 256, '32FC1'),
          '/cam0/snn/state_init': images(1, 200, '32FC1'), '/cam0/pose': pose_arrays(),
          '/cam0/event_frame': images(128, 128, 'bgr8'), '/image': images(28, 28, 'mono8')}


@pytest.mark.parametrize('topic', list(INPUTS))
def test_a_fuzzed_input_never_stops_a_node_and_is_counted_once(graph, topic):
    @FUZZ
    @given(INPUTS[topic])
    def fuzz(msg) -> None:
        graph.send(topic, msg)
    fuzz()
    assert graph.fuzzed[topic].tried >= 10


def test_after_the_fuzz_every_node_still_works_on_good_input(graph, gesture_events):
    """Good events through the H1 and H2 nodes: windows and steps come out again."""
    from hybrid_perception.ros.conversions import events_to_pointcloud2
    snn, _, _, _, initializer, pose = graph.nodes[:6]
    windows, steps = snn.stats['windows'], pose.stats['steps']
    start = int(gesture_events['timestamp'][0]) + 10**10     # a new stream, long after the fuzz
    take = gesture_events[:20000].copy()
    take['timestamp'] += start - int(gesture_events['timestamp'][0])
    for piece in np.array_split(take, 40):
        msg = events_to_pointcloud2(piece, int(piece['timestamp'][0]), 'cam')
        graph.send('/events', msg)
        graph.send('/cam0/events', msg)
    assert spin_until(graph.executor, lambda: snn.stats['windows'] > windows
                      and pose.stats['steps'] > steps, 20.0)
