"""The events messages read from and written to their bytes, against the two serializers we
did not write: rclpy's (rmw_fastrtps, what DDS carries) and rosbags' (what bags hold)."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rclpy.serialization import deserialize_message, serialize_message
from sensor_msgs.msg import PointCloud2
from sensor_msgs.msg import PointField as PointFieldMsg

from hybrid_perception.errors import DataFormatError, EventFormatError
from hybrid_perception.events.array import make_events
from hybrid_perception.events.cdr import (
    read_cloud,
    read_event_packet,
    write_cloud,
    write_event_packet,
)
from hybrid_perception.events.codecs import ENCODINGS, RawPacket, encode_packet
from hybrid_perception.events.pointcloud import pointcloud_to_events
from hybrid_perception.io.rosbag import EVENT_PACKET, POINTCLOUD2, typestore
from hybrid_perception.ros.conversions import events_to_pointcloud2

STORE = typestore()
#: what a ROS string holds: UTF-8 (no lone surrogates), no NUL
ROS_CHARS = st.characters(blacklist_characters='\x00', blacklist_categories=('Cs',))


def packets(draw, stamp_us: int) -> np.ndarray:
    n = draw(st.integers(0, 300))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    return make_events(stamp_us + np.sort(rng.integers(0, 5000, n)), rng.integers(0, 1280, n),
                       rng.integers(0, 720, n), rng.integers(0, 2, n))


@st.composite
def clouds(draw):
    stamp = draw(st.integers(0, 2**40))
    frame_id = draw(st.text(ROS_CHARS, max_size=12))
    return packets(draw, stamp), stamp, frame_id


@given(clouds())
@settings(max_examples=60, deadline=None)
def test_what_rclpy_serializes_reads_back_and_what_we_write_rclpy_and_rosbags_read(cloud):
    events, stamp, frame_id = cloud
    ours = read_cloud(serialize_message(events_to_pointcloud2(events, stamp, frame_id)))
    assert (ours.stamp_us, ours.frame_id) == (stamp, frame_id)
    assert np.array_equal(ours.events(), events)
    written = write_cloud(events, stamp, frame_id)
    msg = deserialize_message(written, PointCloud2)
    assert msg.header.frame_id == frame_id and np.array_equal(pointcloud_to_events(msg), events)
    assert np.array_equal(pointcloud_to_events(STORE.deserialize_cdr(written, POINTCLOUD2)),
                          events)


@st.composite
def foreign_clouds(draw):
    """Other drivers' layouts: padding, extra fields, other integer types, byte order."""
    n = draw(st.integers(0, 40))
    names = draw(st.permutations(['x', 'y', 't', 'polarity', 'intensity']))
    kinds = {'x': draw(st.sampled_from([4, 6, 3])), 'y': draw(st.sampled_from([4, 6, 3])),
             't': draw(st.sampled_from([6, 5])), 'polarity': draw(st.sampled_from([2, 1, 4])),
             'intensity': 7}
    sizes = {1: 1, 2: 1, 3: 2, 4: 2, 5: 4, 6: 4, 7: 4}
    fields, offset = [], 0
    for name in names:
        offset += draw(st.integers(0, 3))
        fields.append(PointFieldMsg(name=name, offset=offset, datatype=kinds[name], count=1))
        offset += sizes[kinds[name]]
    step = offset + draw(st.integers(0, 4))
    bigendian = draw(st.booleans())
    data = draw(st.binary(min_size=n * step, max_size=n * step))
    msg = PointCloud2(height=1, width=n, fields=fields, is_bigendian=bigendian, point_step=step,
                      row_step=step * n, is_dense=True)
    msg.header.stamp.sec = draw(st.integers(0, 2**31 - 1))
    msg.data = data
    return msg


@given(foreign_clouds())
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_any_layout_decodes_as_the_message_does(msg):
    """The bytes give what rclpy's message gives, events or the same refusal."""
    try:
        expected = pointcloud_to_events(msg)
    except EventFormatError:
        with pytest.raises(DataFormatError):
            read_cloud(serialize_message(msg)).events()
        return
    assert np.array_equal(read_cloud(serialize_message(msg)).events(), expected)


@pytest.mark.parametrize('encoding', ENCODINGS)
def test_event_packets_read_back_as_rosbags_wrote_them(encoding):
    rng = np.random.default_rng(3)
    events = make_events(1_000_000 + np.sort(rng.integers(0, 4000, 500)),
                         rng.integers(0, 346, 500), rng.integers(0, 260, 500),
                         rng.integers(0, 2, 500))
    packet = encode_packet(events, encoding, 346, 260, 17, None)
    types = STORE.types
    msg = types[EVENT_PACKET](
        header=types['std_msgs/msg/Header'](
            stamp=types['builtin_interfaces/msg/Time'](sec=1, nanosec=5000), frame_id='cam1'),
        height=260, width=346, seq=17, time_base=packet.time_base, encoding=encoding,
        is_bigendian=False, events=np.frombuffer(packet.data, np.uint8))
    ours, frame_id = read_event_packet(STORE.serialize_cdr(msg, EVENT_PACKET))
    assert frame_id == 'cam1' and ours.stamp_us == 1_000_005
    assert (ours.encoding, ours.width, ours.height, ours.seq, ours.time_base) == (
        encoding, 346, 260, 17, packet.time_base)
    assert bytes(ours.data) == bytes(packet.data)


@given(st.sampled_from(ENCODINGS), st.text(ROS_CHARS, max_size=9), st.binary(max_size=40),
       st.integers(0, 2**64 - 1), st.integers(0, 2**40), st.booleans())
@settings(max_examples=80, deadline=None)
def test_event_packets_we_write_rosbags_reads(encoding, frame_id, words, seq, stamp, big):
    # Every padding case: the frame_id's and the encoding's lengths move what follows them.
    packet = RawPacket(encoding, 346, 260, words, 7 * stamp, seq, stamp, big)
    written = write_event_packet(packet, frame_id)
    msg = STORE.deserialize_cdr(written, EVENT_PACKET)
    assert (msg.header.frame_id, msg.encoding, msg.width, msg.height, msg.seq, msg.time_base,
            msg.is_bigendian, bytes(msg.events)) == (frame_id, encoding, 346, 260, seq,
                                                     7 * stamp, big, words)
    assert msg.header.stamp.sec * 1_000_000 + msg.header.stamp.nanosec // 1000 == stamp
    assert read_event_packet(written) == (packet, frame_id)
    assert written == STORE.serialize_cdr(msg, EVENT_PACKET)
    from event_camera_msgs.msg import EventPacket  # compiled by scripts/build-msgs.sh
    again = serialize_message(deserialize_message(written, EventPacket))  # by rmw_fastrtps
    assert read_event_packet(again) == (packet, frame_id)


def test_truncated_and_corrupt_bytes_are_refused_never_misread():
    events = make_events(np.arange(100, 200), np.arange(100) % 128, np.arange(100) % 90,
                         np.arange(100) % 2)
    whole = write_cloud(events, 100, 'cam0')
    data_end = len(whole) - 1                       # the last byte is is_dense
    for cut in range(data_end):
        with pytest.raises(DataFormatError):
            read_cloud(whole[:cut]).events()
    rng = np.random.default_rng(0)
    for _ in range(2000):                             # every outcome is events or a refusal
        corrupt = bytearray(whole)
        for at in rng.integers(0, len(whole), rng.integers(1, 4)):
            corrupt[at] = rng.integers(0, 256)
        try:
            read_cloud(bytes(corrupt)).events()
        except DataFormatError:
            pass
    with pytest.raises(DataFormatError, match='not a CDR message'):
        read_cloud(b'\x07\x07\x00\x00' + whole[4:])
    with pytest.raises(DataFormatError, match='cut short|runs past'):
        read_event_packet(whole[:30])
