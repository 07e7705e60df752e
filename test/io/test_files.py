"""AEDAT4 and rosbag2 round trips on real files, and what truncated or foreign files do."""

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hybrid_perception.errors import EventFormatError
from hybrid_perception.events.array import SensorSize, make_events
from hybrid_perception.io.recordings.aedat4 import Aedat4Reader, read_aedat4, write_aedat4
from hybrid_perception.io.rosbag import EventBagReader, EventBagWriter


@pytest.fixture
def events(rng):
    n = 5000
    return make_events(np.sort(rng.integers(10**9, 10**9 + 2_000_000, n)),
                       rng.integers(0, 64, n), rng.integers(0, 48, n), rng.integers(0, 2, n))


def test_aedat4_round_trip(tmp_path, events):
    path = tmp_path / 'rec.aedat4'
    write_aedat4(path, events, SensorSize(64, 48), batch=1000)
    got, sensor = read_aedat4(path)
    assert sensor == SensorSize(64, 48)
    assert np.array_equal(got, events)


def test_aedat4_reader_can_read_twice(tmp_path, events):
    path = tmp_path / 'rec.aedat4'
    write_aedat4(path, events, SensorSize(64, 48))
    reader = Aedat4Reader(path)
    assert sum(c.size for c in reader) == sum(c.size for c in reader) == events.size


@pytest.mark.parametrize('keep', [0.5, 0.99])
def test_truncated_aedat4_gives_its_events_then_a_clear_error(tmp_path, events, keep):
    path = tmp_path / 'rec.aedat4'
    write_aedat4(path, events, SensorSize(64, 48), batch=1000)
    data = path.read_bytes()
    path.write_bytes(data[:int(len(data) * keep)])
    got = []
    with pytest.raises(EventFormatError, match=r'rec.aedat4: read as AEDAT4: truncated'):
        got.extend(Aedat4Reader(path))
    got = np.concatenate(got)
    assert 0 < got.size < events.size and np.array_equal(got, events[:got.size])


def test_missing_aedat4_is_a_clear_format_error(tmp_path):
    with pytest.raises(EventFormatError, match='no such'):
        Aedat4Reader(tmp_path / 'nope.aedat4')


@pytest.mark.parametrize('storage', ['mcap', 'sqlite3'])
def test_rosbag_round_trip(tmp_path, events, storage):
    path = tmp_path / 'bag'
    with EventBagWriter(path, SensorSize(64, 48), storage=storage) as writer:
        for start in range(0, events.size, 700):
            writer.write(events[start:start + 700])
    reader = EventBagReader(path)
    assert reader.sensor == SensorSize(64, 48) and reader.topic == '/events'
    assert np.array_equal(np.concatenate(list(reader)), events)
    metadata = yaml.safe_load((path / 'metadata.yaml').read_text())
    info = metadata['rosbag2_bagfile_information']
    assert info['storage_identifier'] == storage
    topics = {t['topic_metadata']['name']: t['message_count']
              for t in info['topics_with_message_count']}
    assert topics == {'/events': -(-events.size // 700), '/camera_info': 1}


@pytest.mark.parametrize('storage, encoding', [('mcap', 'evt3'), ('sqlite3', 'libcaer_cmp'),
                                               ('mcap', 'mono')])
def test_event_packet_bags_read_as_pointcloud2_bags_do(tmp_path, events, storage, encoding):
    """A bag of event_camera_msgs/EventPacket (as ``ros2 bag record`` keeps a stock driver's
    stream) without camera_info: the size comes from the packets, the events come back; and
    rclpy's compiled EventPacket reads the bytes rosbags wrote."""
    from event_camera_msgs.msg import EventPacket
    from rclpy.serialization import deserialize_message
    from rosbags.rosbag2 import Reader
    path = tmp_path / 'packets'
    with EventBagWriter(path, SensorSize(64, 48), storage=storage, encoding=encoding,
                        camera_info_topic=None, topic='/event_camera/events') as writer:
        for start in range(0, events.size, 700):
            writer.write(events[start:start + 700])
    reader = EventBagReader(path)
    assert reader.sensor == SensorSize(64, 48) and reader.topic == '/event_camera/events'
    assert np.array_equal(np.concatenate(list(reader)), events)
    assert reader.packets.counts.total == 0 and reader.packets.dropped_packets == 0
    with Reader(path) as bag:
        raws = [raw for _, _, raw in bag.messages()]
    first = deserialize_message(raws[0], EventPacket)
    assert (first.encoding, first.width, first.height, first.seq) == (encoding, 64, 48, 0)
    assert deserialize_message(raws[-1], EventPacket).seq == len(raws) - 1


def test_bag_without_camera_info_needs_a_sensor_size(tmp_path, events):
    with EventBagWriter(tmp_path / 'bare', SensorSize(64, 48), topic='/dvs/events',
                        camera_info_topic=None) as writer:
        writer.write(events)
    with pytest.raises(EventFormatError, match='sensor size'):
        EventBagReader(tmp_path / 'bare')
    reader = EventBagReader(tmp_path / 'bare', topic='/dvs/events', sensor=SensorSize(64, 48))
    assert np.array_equal(next(iter(reader)), events)


def test_bag_writer_never_overwrites(tmp_path):
    (tmp_path / 'bag').mkdir()
    with pytest.raises(FileExistsError):
        EventBagWriter(tmp_path / 'bag', SensorSize(4, 4))


@pytest.mark.parametrize('make', ['empty_dir', 'garbage_file'])
def test_unreadable_bag_is_a_clear_format_error(tmp_path, make):
    path = tmp_path / 'bag'
    if make == 'empty_dir':
        path.mkdir()
    else:
        path.write_bytes(b'not a bag at all')
    with pytest.raises(EventFormatError, match='not a readable rosbag2'):
        EventBagReader(path)


@pytest.fixture
def mcap_bag(tmp_path, events):
    """A bag of 500-event packets, and its .mcap file (for the tests to damage)."""
    path = tmp_path / 'bag'
    with EventBagWriter(path, SensorSize(64, 48)) as writer:
        for start in range(0, events.size, 500):
            writer.write(events[start:start + 500])
    return path, path / 'bag.mcap'


def test_truncated_mcap_is_a_clear_format_error(mcap_bag):
    path, mcap = mcap_bag
    mcap.write_bytes(mcap.read_bytes()[: mcap.stat().st_size // 2])
    with pytest.raises(EventFormatError):
        list(EventBagReader(path))


def test_garbage_inside_mcap_is_a_clear_format_error(mcap_bag):
    path, mcap = mcap_bag
    data = bytearray(mcap.read_bytes())
    quarter = len(data) // 4  # the middle half: records, not the summary at the end
    data[quarter:3 * quarter] = b'\xff' * (2 * quarter)
    mcap.write_bytes(bytes(data))
    with pytest.raises(EventFormatError, match='unreadable bag data'):
        list(EventBagReader(path))


@settings(max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(where=st.floats(0.0, 1.0), garbage=st.binary(min_size=1, max_size=64),
       cut=st.booleans())
def test_a_mutated_bag_gives_events_or_a_format_error_never_a_crash(mcap_bag, tmp_path, where,
                                                                      garbage, cut):
    path, mcap = mcap_bag
    data = mcap.read_bytes()
    at = int(where * (len(data) - 1))
    damaged = tmp_path / 'damaged'
    damaged.mkdir(exist_ok=True)
    (damaged / mcap.name).write_bytes(data[:at] + garbage
                                      + (b'' if cut else data[at + len(garbage):]))
    (damaged / 'metadata.yaml').write_bytes((path / 'metadata.yaml').read_bytes())
    try:
        for chunk in EventBagReader(damaged):
            assert chunk.dtype.names == ('timestamp', 'x', 'y', 'polarity')
    except EventFormatError:
        pass


def test_aedat4_with_4kb_overwritten_gives_what_came_before_and_does_not_hang(tmp_path, rng):
    """The file that makes dv-processing spin forever (#24): 4 KB of garbage mid-file. Read
    packet by packet, it gives the packets before the damage, then a corrupt-file error."""
    n = 200_000
    events = make_events(np.sort(rng.integers(0, 4_000_000, n)), rng.integers(0, 64, n),
                         rng.integers(0, 48, n), rng.integers(0, 2, n))
    path = tmp_path / 'overwritten.aedat4'
    write_aedat4(path, events, SensorSize(64, 48), batch=5000)
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle:middle + 4096] = rng.integers(0, 256, 4096, dtype=np.uint8).tobytes()
    path.write_bytes(bytes(data))
    got = []
    with pytest.raises(EventFormatError, match='overwritten.aedat4: read as AEDAT4: corrupt'):
        got.extend(Aedat4Reader(path))
    got = np.concatenate(got)
    assert n * 0.3 < got.size < n and np.array_equal(got, events[:got.size])
