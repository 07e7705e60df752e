"""The EventPacket codecs: encode -> decode gives the events back in every encoding, the
compiled decoders agree with the plain-Python readings of the specifications on any bytes,
and a third party's decoder (expelliarmus) reads our EVT 2.0 as we do."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hybrid_perception.errors import EventFormatError
from hybrid_perception.events.array import concatenate, make_events
from hybrid_perception.events.codecs import (
    CODECS,
    PacketDecoder,
    PacketStream,
    RawPacket,
    encode_packet,
)
from hybrid_perception.events.codecs.reference import ReferenceDecoder


def _events(rng, n, span_us, width=640, height=480, start=1_700_000_000_000_000):
    t = np.sort(rng.integers(0, span_us, n)) + start
    return make_events(t, rng.integers(0, width, n), rng.integers(0, height, n),
                       rng.integers(0, 2, n))


def _stream(events, encoding, packet_events=1000, width=640, height=480, silence_us=None):
    """Encode in packets of ``packet_events`` (also cut at silences over ``silence_us``, as a
    driver publishing by time would), decode as one stream."""
    cuts = set(range(0, events.size, packet_events))
    if silence_us is not None:
        cuts |= set((np.nonzero(np.diff(events['timestamp']) > silence_us)[0] + 1).tolist())
    bounds = [*sorted(cuts), events.size]
    stream = PacketStream()
    out = [stream.push(encode_packet(events[lo:hi], encoding, width, height, seq=k))[0].copy()
           for k, (lo, hi) in enumerate(zip(bounds, bounds[1:], strict=False))]
    return concatenate(out), stream


def _same(a, b) -> bool:
    return a.size == b.size and all(np.array_equal(a[f], b[f])
                                    for f in ('timestamp', 'x', 'y', 'polarity'))


@pytest.mark.parametrize('encoding', CODECS)
def test_every_encoding_gives_back_the_events_it_was_given(encoding, rng):
    events = _events(rng, 20_000, 2_000_000)   # 2 s in packets of ~0.1 s
    decoded, stream = _stream(events, encoding)
    assert _same(decoded, events)
    assert stream.counts.total == 0 and stream.dropped_packets == 0


@pytest.mark.parametrize('encoding, silence_us', [
    ('evt3', None), ('evt2', None), ('evt21', None), ('libcaer', 1_000_000),
    ('evt3', 1_000_000)])
def test_sensor_time_wrapping_inside_a_stream_is_unwrapped(encoding, silence_us, rng):
    # evt3 wraps every 2^24 µs (16.8 s), libcaer every 2^31 µs, evt2 every 2^34 µs: events
    # straddle each wrap, with silences of several wraps inside packets (evt3, evt2: the
    # encoder marks the wraps) or between them (packets cut at silences)
    wrap = {'evt3': 1 << 24, 'evt2': 1 << 34, 'evt21': 1 << 34, 'libcaer': 1 << 31}[encoding]
    t = np.sort(np.concatenate([wrap - 5000 + rng.integers(0, 10_000, 3000),
                                3 * wrap - 50 + rng.integers(0, 100, 1000),
                                3 * wrap + 40_000_000 + rng.integers(0, 100, 1000)]))
    events = make_events(t, rng.integers(0, 320, t.size), rng.integers(0, 240, t.size), 1)
    decoded, _ = _stream(events, encoding, packet_events=700, silence_us=silence_us)
    assert _same(decoded, events)


@pytest.mark.parametrize('encoding', CODECS)
def test_big_endian_words_decode_like_little_endian_ones(encoding, rng):
    events = _events(rng, 3000, 100_000)
    packet = encode_packet(events, encoding, 640, 480)
    size = {'evt3': 2, 'libcaer_cmp': 2, 'evt2': 4, 'libcaer': 4, 'mono': 8, 'evt21': 8}[encoding]
    swapped = np.frombuffer(packet.data, np.uint8).reshape(-1, size)[:, ::-1].tobytes()
    big = RawPacket(encoding, 640, 480, swapped, packet.time_base, 0, packet.stamp_us, True)
    assert _same(PacketDecoder(encoding).decode(big)[0],
                 PacketDecoder(encoding).decode(packet)[0])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(encoding=st.sampled_from(CODECS), data=st.binary(max_size=600),
       cuts=st.lists(st.integers(0, 600), max_size=3), width=st.integers(1, 2048),
       height=st.integers(1, 2048), time_base=st.integers(0, 1 << 62))
def test_compiled_decoders_agree_with_the_specifications_on_any_bytes(
        encoding, data, cuts, width, height, time_base):
    """Arbitrary bytes, cut into packets anywhere: the same events and the same counts of
    unknown words, off-sensor and untimed events and cut-short words; nothing raises."""
    compiled, reference = PacketDecoder(encoding), ReferenceDecoder(encoding)
    bounds = [0, *sorted(cuts), len(data)]
    for lo, hi in zip(bounds, bounds[1:], strict=False):
        chunk = data[lo:max(lo, hi)]
        events, counts = compiled.decode(RawPacket(encoding, width, height, chunk, time_base))
        expected, expected_counts = reference.decode(chunk, width, height, time_base)
        assert [tuple(int(e[f]) for f in ('timestamp', 'x', 'y', 'polarity'))
                for e in events] == expected
        assert [counts.unknown_words, counts.off_sensor, counts.untimed,
                counts.trailing_bytes] == expected_counts


def test_evt2_agrees_with_expelliarmus(tmp_path, rng):
    """expelliarmus (a C reader of Prophesee RAW files) reads our EVT 2.0 words as we wrote
    them. (Its EVT 3.0 reader is not used as a reference: it adds 4096 µs whenever TIME_LOW
    drops, even right after the TIME_HIGH that announced it, expelliarmus issues #19/#20.)"""
    from expelliarmus import Wizard
    events = _events(rng, 20_000, 30_000_000, start=0)
    path = tmp_path / 'recording.raw'
    path.write_bytes(b'% evt 2.0\n% end\n' + encode_packet(events, 'evt2', 640, 480).data)
    theirs = Wizard(encoding='evt2').read(path)
    assert theirs.size == events.size
    for ours, their in (('timestamp', 't'), ('x', 'x'), ('y', 'y'), ('polarity', 'p')):
        assert np.array_equal(theirs[their], events[ours])


def test_a_damaged_packet_keeps_its_good_events_and_counts_the_rest(rng):
    events = _events(rng, 200, 10_000)
    packet = encode_packet(events, 'evt3', 640, 480)
    reserved = np.array([0x1000, 0x9123, 0xB000], '<u2').tobytes()  # reserved word types
    damaged = RawPacket('evt3', 640, 480, packet.data + reserved + b'\x07', 0, 0,
                        packet.stamp_us)
    decoded, counts = PacketStream().push(damaged)
    assert _same(decoded, events)
    assert (counts.unknown_words, counts.trailing_bytes) == (3, 1)
    small = RawPacket('evt3', 100, 100, packet.data, 0, 0, packet.stamp_us)
    decoded, counts = PacketStream().push(small)
    inside = (events['x'] < 100) & (events['y'] < 100)
    assert _same(decoded, events[inside]) and counts.off_sensor == int((~inside).sum())


def test_seq_gaps_are_counted_as_lost_packets(rng):
    events = _events(rng, 5000, 500_000)
    stream = PacketStream()
    for seq in (0, 1, 2, 5, 6, 10):
        stream.push(encode_packet(events[seq * 400:(seq + 1) * 400], 'libcaer', 640, 480, seq))
    assert stream.dropped_packets == 2 + 3


def test_events_before_the_first_time_are_counted_not_guessed():
    # a subscriber joining mid-stream: y, x words before any TIME_HIGH / TIME_LOW
    words = np.array([0x0005, 0x2007, 0x8001, 0x2008, 0x6010, 0x2009], '<u2').tobytes()
    decoded, counts = PacketStream().push(RawPacket('evt3', 64, 64, words, stamp_us=1000))
    assert counts.untimed == 2
    assert decoded.size == 1 and int(decoded['x'][0]) == 9 and int(decoded['y'][0]) == 5


def test_stamp_jitter_does_not_move_events_but_a_jump_re_anchors(rng):
    events = _events(rng, 3000, 300_000)
    stream, got = PacketStream(resync_us=10_000), []
    for k, i in enumerate(range(0, 3000, 1000)):
        packet = encode_packet(events[i:i + 1000], 'evt3', 640, 480, k)
        jitter = (-1) ** k * 2_000          # stamps 2 ms off either way
        got.append(stream.push(RawPacket(**{**packet.__dict__,
                                            'stamp_us': packet.stamp_us + jitter}))[0].copy())
    shifted = concatenate(got)
    assert np.array_equal(np.diff(shifted['timestamp']), np.diff(events['timestamp']))
    assert stream.clock_resyncs == 0
    later = encode_packet(events[:10], 'evt3', 640, 480, 3, stamp_us=int(events['timestamp'][0])
                          + 60_000_000)
    stream.push(later)
    assert stream.clock_resyncs == 1


@pytest.mark.parametrize('packet', [
    RawPacket('evt4', 640, 480, b''), RawPacket('evt3', 0, 480, b''),
    RawPacket('evt3', 4096, 480, b'')])
def test_unreadable_packets_are_clear_errors(packet):
    with pytest.raises(EventFormatError, match='encoding|sensor'):
        PacketStream().push(packet)


def test_events_that_do_not_fit_an_encoding_are_refused(rng):
    events = _events(rng, 100, 10_000_000_000)
    with pytest.raises(EventFormatError, match='mono'):
        encode_packet(events, 'mono', 640, 480)         # 4.3 s at most
    with pytest.raises(EventFormatError, match='2048'):
        encode_packet(events, 'evt3', 4096, 480)
