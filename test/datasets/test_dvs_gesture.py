"""DVS128 Gesture's published format: AEDAT 3.1 files and label CSVs written here, read back."""

import struct

import numpy as np
import pytest

from hybrid_perception.datasets.dvs_gesture import read_labels, recordings
from hybrid_perception.datasets.gestures import GestureClips, GestureRenderer
from hybrid_perception.errors import EventFormatError
from hybrid_perception.events.array import SensorSize, make_events
from hybrid_perception.events.representations import to_spike_tensor
from hybrid_perception.io.recordings.aedat3 import read_aedat3, write_aedat3


def _packet(kind: int, size: int, overflow: int, payload: bytes) -> bytes:
    count = len(payload) // size
    return struct.pack('<HHIIIIII', kind, 1, size, 4, overflow, count, count, count) + payload


def test_hand_built_file_decodes_bit_fields_overflow_and_skips_other_packets(tmp_path):
    def polarity(x, y, p, valid=1):
        return (x << 17) | (y << 2) | (p << 1) | valid

    events = struct.pack('<II', polarity(5, 7, 1), 100) + struct.pack('<II', polarity(127, 0, 0),
                                                                      2**31 - 1)
    invalid = struct.pack('<II', polarity(1, 1, 1, valid=0), 200)
    special = struct.pack('<II', 0xABCDEF, 50)  # a type-0 special event: not a pixel
    data = (b'#!AER-DAT3.1\r\n#Format: RAW\r\n#!END-HEADER\r\n'
            + _packet(1, 8, 0, events + invalid) + _packet(0, 8, 0, special)
            + _packet(1, 8, 1, struct.pack('<II', polarity(64, 127, 1), 3)))
    (tmp_path / 'user01_led.aedat').write_bytes(data)

    got = read_aedat3(tmp_path / 'user01_led.aedat')

    assert got['x'].tolist() == [5, 127, 64]
    assert got['y'].tolist() == [7, 0, 127]
    assert got['polarity'].tolist() == [1, 0, 1]
    assert got['timestamp'].tolist() == [100, 2**31 - 1, 2**31 + 3]


def test_round_trip_across_the_timestamp_overflow(tmp_path, rng):
    n = 10_000
    t = np.sort(rng.integers(2**31 - 5_000_000, 2**31 + 5_000_000, n))
    events = make_events(t, rng.integers(0, 128, n), rng.integers(0, 128, n),
                         rng.integers(0, 2, n))
    path = write_aedat3(tmp_path / 'rec.aedat', events, packet_events=1000)
    assert np.array_equal(read_aedat3(path), events)


@pytest.mark.parametrize('keep', [10, 0.5, -3])
def test_truncated_or_foreign_files_are_format_errors(tmp_path, rng, keep):
    events = make_events(np.arange(100), np.zeros(100), np.zeros(100), np.ones(100))
    path = write_aedat3(tmp_path / 'rec.aedat', events)
    data = path.read_bytes()
    path.write_bytes(data[:keep] if isinstance(keep, int) else data[:int(len(data) * keep)])
    with pytest.raises(EventFormatError, match='rec.aedat'):
        read_aedat3(path)


def test_labels(tmp_path):
    path = tmp_path / 'user01_led_labels.csv'
    path.write_text('class,startTime_usec,endTime_usec\r\n1,100,200\r\n11,300,450\r\n')
    assert [(s.label, s.start_us, s.end_us) for s in read_labels(path)] == [(0, 100, 200),
                                                                            (10, 300, 450)]
    path.write_text('class,startTime_usec,endTime_usec\n12,100,200\n')
    with pytest.raises(EventFormatError, match=':2: class 12'):
        read_labels(path)
    path.write_text('1,100,200\n')
    with pytest.raises(EventFormatError, match='header'):
        read_labels(path)


def test_recordings_become_clips_like_the_synthetic_ones(tmp_path, rng):
    clips = GestureClips(n_bins=4, warmup_bins=1, bin_us=10_000)
    clip_us = clips.total_bins * clips.bin_us
    n = 20_000
    t = np.sort(rng.integers(0, 400_000, n))
    events = make_events(t, rng.integers(0, 128, n), rng.integers(0, 128, n),
                         rng.integers(0, 2, n))
    write_aedat3(tmp_path / 'user24_fluorescent.aedat', events)
    # Gesture 3 spans two whole clips and a bit; gesture 8 is shorter than one clip.
    (tmp_path / 'user24_fluorescent_labels.csv').write_text(
        f'class,startTime_usec,endTime_usec\n3,1000,{1000 + 2 * clip_us + 7}\n'
        f'8,300000,{300000 + clip_us - 1}\n')
    (tmp_path / 'trials_to_test.txt').write_text('user24_fluorescent.aedat\n')

    got, labels, subjects = clips.from_recordings(recordings(tmp_path, 'test'))

    assert labels.tolist() == [2, 2] and subjects.tolist() == [24, 24]
    second = events[(t >= 1000 + clip_us) & (t < 1000 + 2 * clip_us)].copy()
    second['timestamp'] -= 1000 + clip_us
    expected = to_spike_tensor(second, clips.renderer.sensor, t_start_us=0, bin_us=10_000,
                               n_bins=5, downsample=4, binary=True)
    assert np.array_equal(got[1], expected)


def test_clips_for_another_sensor_refuse_the_128x128_recordings(tmp_path):
    clips = GestureClips(renderer=GestureRenderer(sensor=SensorSize(64, 64)))
    with pytest.raises(ValueError, match='DVS128 Gesture is 128x128; .* 64x64 sensor'):
        clips.from_recordings([])


def test_a_listed_recording_that_is_missing_is_a_clear_error(tmp_path):
    (tmp_path / 'trials_to_train.txt').write_text('user01_led.aedat\n')
    with pytest.raises(EventFormatError, match='user01_led.aedat'):
        recordings(tmp_path, 'train')
    with pytest.raises(EventFormatError, match='trials_to_test.txt'):
        recordings(tmp_path, 'test')
