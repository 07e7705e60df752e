import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hybrid_perception.errors import EventFormatError, EventSourceError
from hybrid_perception.events.array import EventSanitizer, SensorSize, make_events
from hybrid_perception.io.player import PacketPlayer, RecordedPacketPlayer
from hybrid_perception.io.sources import Packetizer, SyntheticSource, looping, open_source

SENSOR = SensorSize(16, 16)


def chunked(times, sizes, window_us=None):
    """``times`` as events in chunks of ``sizes``, or cut at every multiple of ``window_us``
    (as a recording of packets gives them)."""
    events = make_events(times, np.zeros(len(times)), np.zeros(len(times)), np.ones(len(times)))
    if window_us:
        return np.split(events, np.flatnonzero(np.diff(np.asarray(times) // window_us)) + 1)
    cuts = np.cumsum(sizes)[:-1]
    return np.split(events, cuts[cuts < len(times)])


@settings(max_examples=80, deadline=None)
@given(times=st.lists(st.integers(0, 20_000), max_size=300).map(sorted),
       sizes=st.lists(st.integers(1, 50), min_size=1, max_size=40),
       period=st.sampled_from([1, 7, 1000, 5000]),
       chunk_window=st.sampled_from([None, 500, 1000, 5000]))
def test_packets_are_complete_aligned_windows(times, sizes, period, chunk_window):
    packetizer = Packetizer(period)
    packets = [p for c in chunked(times, sizes, chunk_window) for p in packetizer.push(c)]
    packets += packetizer.flush()
    got = np.concatenate([p for _, p in packets]) if packets else np.zeros(0)
    assert [int(t) for t in (got['timestamp'] if packets else [])] == times
    starts = [s for s, _ in packets]
    assert starts == sorted(set(starts))  # one packet per window, in order
    for start, packet in packets:
        assert start % period == 0
        assert ((packet['timestamp'] >= start) & (packet['timestamp'] < start + period)).all()


def test_looping_keeps_time_increasing():
    chunks = [make_events([100, 200], [0, 0], [0, 0], [1, 1]),
              make_events([300], [0], [0], [1])]
    stream = looping(lambda: chunks, loop=True)
    t = np.concatenate([next(stream) for _ in range(6)])['timestamp'].tolist()
    assert t == [100, 200, 300, 301, 401, 501, 502, 602, 702]
    assert [c['timestamp'].tolist() for c in looping(lambda: chunks, loop=False)] == [
        [100, 200], [300]]


def test_looping_an_empty_source_ends():
    assert list(looping(lambda: [], loop=True)) == []


def player_over(times, rate, period=1000):
    chunks = [make_events([t], [1], [1], [1]) for t in times]
    return PacketPlayer(chunks, EventSanitizer(SENSOR), period_us=period, rate=rate)


def test_player_paces_packets_in_real_time():
    player = player_over([0, 500, 1500, 2500, 9500], rate=1.0)
    # A packet is due when its window has ended, counted from the first window.
    assert player.due(100.0) == []
    assert [s for s, _ in player.due(100.0011)] == [0]
    assert [s for s, _ in player.due(100.0031)] == [1000, 2000]
    assert player.due(100.009) == [] and not player.finished
    assert [s for s, _ in player.due(100.0101)] == [9000]
    assert player.finished


def test_player_rate_scales_time_and_zero_means_all_at_once():
    fast = player_over([0, 1500, 2500], rate=2.0)
    fast.due(0.0)
    assert [s for s, _ in fast.due(0.00151)] == [0, 1000, 2000]
    assert [s for s, _ in player_over([0, 10**7], rate=0.0).due(0.0)] == [0, 10**7 // 1000 * 1000]


def test_player_delivers_events_read_before_a_source_error_then_raises_it():
    def failing():
        yield make_events([0, 500, 1200], [1, 1, 1], [1, 1, 1], [1, 1, 1])
        yield make_events([1700], [1], [1], [1])
        raise EventFormatError('corrupt chunk')
    player = PacketPlayer(failing(), EventSanitizer(SENSOR), period_us=1000, rate=0.0)
    packets = player.due(0.0)
    assert [e['timestamp'].tolist() for _, e in packets] == [[0, 500], [1200, 1700]]
    for _ in range(2):
        with pytest.raises(EventFormatError, match='corrupt chunk'):
            player.due(0.0)
    assert not player.finished


def test_recorded_packets_are_released_by_their_stamps_and_a_bad_bag_ends_them():
    from hybrid_perception.events.codecs import RawPacket

    def recorded():
        for k, stamp in enumerate((5000, 5400, 7000)):
            yield RawPacket('evt3', 8, 8, bytes([k]) * 4, 0, k, stamp)
        raise EventFormatError('unreadable bag data')
    player = RecordedPacketPlayer(recorded(), rate=2.0)
    assert [p.seq for p in player.due(10.0)] == [0]
    assert player.due(10.0001) == []
    got = player.due(10.00021)                    # 400 µs of stamps at twice real time
    assert [p.seq for p in got] == [1] and got[0].data == bytes([1]) * 4
    player.give_back(got)
    assert [p.seq for p in player.due(10.0008)] == [1]
    assert [p.seq for p in player.due(10.0011)] == [2]
    with pytest.raises(EventFormatError, match='unreadable'):
        player.due(11.0)
    assert not player.finished
    whole = RecordedPacketPlayer([RawPacket('evt3', 8, 8, b'', 0, k, 10**9 * k)
                                  for k in range(3)], rate=0)
    assert [p.seq for p in whole.due(0.0)] == [0, 1, 2] and whole.finished


def test_player_drops_bad_events_and_counts_them():
    chunks = [make_events([0, 10, 5, 20], [1, 1, 1, 99], [1, 1, 1, 1], [1, 1, 1, 1])]
    player = PacketPlayer(chunks, EventSanitizer(SENSOR), period_us=1000, rate=0.0)
    (stamp, events), = player.due(0.0)
    assert events['timestamp'].tolist() == [0, 10]
    assert player.sanitizer.drops.out_of_bounds == 1
    assert player.sanitizer.drops.backwards_in_time == 1


def test_synthetic_source_is_busy_and_reproducible():
    def first_chunks(seed):
        return [c for _, c in zip(range(200), SyntheticSource(SENSOR, seed=seed), strict=False)]
    a, b = first_chunks(1), first_chunks(1)
    assert sum(c.size for c in a) > 100
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


def test_synthetic_source_stops_after_duration():
    source = SyntheticSource(SENSOR, duration_s=0.01, frame_period_us=1000)
    assert len(list(source)) == 10


@pytest.mark.parametrize('kind,path,match', [
    ('rosbag', '', 'needs a path'),
    ('aedat4', '/no/such/file.aedat4', 'no such file'),
    ('webcam', '', 'unknown source'),
    ('camera', '', 'no event camera connected'),
])
def test_open_source_errors_are_clear(kind, path, match):
    with pytest.raises(EventSourceError, match=match):
        open_source(kind, path=path)


def test_packets_given_back_to_the_player_come_first_again_in_order():
    sensor = SensorSize(8, 8)
    events = make_events(np.arange(0, 5000, 100), np.zeros(50), np.zeros(50), np.ones(50))
    player = PacketPlayer([events], EventSanitizer(sensor), period_us=1000, rate=0)
    first = player.due(0.0, max_packets=3)
    player.give_back(first[1:])
    again = player.due(0.0)
    assert [s for s, _ in again[:2]] == [s for s, _ in first[1:]]
    assert [s for s, _ in first[:1] + again] == sorted({s for s, _ in first[:1] + again})
    assert sum(p.size for _, p in first[:1] + again) == events.size
