"""Every recording format, written in its exact layout (by a third party's encoder where one
exists: faery, dv-processing, h5py, numpy), recognised by content and read back exactly; what
damaged and foreign files do."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hybrid_perception.errors import EventFormatError
from hybrid_perception.events.array import SensorSize, concatenate, make_events
from hybrid_perception.io.recordings import detect_format, open_recording
from hybrid_perception.io.recordings.aedat3 import write_aedat3
from hybrid_perception.io.recordings.aedat4 import write_aedat4
from hybrid_perception.io.recordings.atis import write_atis_bin
from hybrid_perception.io.recordings.jaer import write_aedat2

SENSOR = SensorSize(346, 260)
DAVIS346 = 'eu.seebetter.ini.chips.davis.Davis346B'


@pytest.fixture
def events(rng):
    n = 20_000
    return make_events(np.sort(rng.integers(0, 3_000_000, n)), rng.integers(0, SENSOR.width, n),
                       rng.integers(0, SENSOR.height, n), rng.integers(0, 2, n))


def faery_events(events, flip_y=False):
    import faery
    out = np.zeros(events.size, faery.EVENTS_DTYPE)
    out['t'], out['x'] = events['timestamp'], events['x']
    out['y'] = SENSOR.height - 1 - events['y'] if flip_y else events['y']
    out['on'] = events['polarity'] > 0
    return out


def write_raw(path, events, version):
    from faery.extension import evt
    with evt.Encoder(path, version, False, (SENSOR.width, SENSOR.height), True) as encoder:
        encoder.write({'events': faery_events(events)})


def write_evt21(path, events, legacy):
    """No library here writes EVT 2.1 (faery 0.7 panics "not yet implemented"): our encoder's
    words, each laid out as OpenEB's header names it (IMX636: the halves swapped)."""
    from hybrid_perception.events.codecs import encode_packet, evt21
    words = np.frombuffer(encode_packet(events, 'evt21', SENSOR.width,
                                       SENSOR.height).data, evt21.WORD)
    if legacy:  # to_words swaps the halves either way
        words = evt21.to_words(words, legacy=True)
    header = (f'% evt 2.1\n% endianness {"legacy" if legacy else "little"}\n% format EVT21;'
              f'height={SENSOR.height};width={SENSOR.width}\n% end\n')
    path.write_bytes(header.encode() + words.tobytes())


def write_dat(path, events):
    from faery.extension import dat
    cd = np.zeros(events.size, [('t', '<u8'), ('x', '<u2'), ('y', '<u2'), ('payload', 'u1')])
    cd['t'], cd['x'], cd['y'] = events['timestamp'], events['x'], events['y']
    cd['payload'] = events['polarity']
    with dat.Encoder(path, 'dat2', 'cd', False, (SENSOR.width, SENSOR.height)) as encoder:
        encoder.write(cd)


def write_es(path, events):
    """ES counts y from the bottom row (faery's high-level encoder mirrors it the same way)."""
    from faery.extension import es
    with es.Encoder(path, 'dvs', False, (SENSOR.width, SENSOR.height)) as encoder:
        encoder.write(faery_events(events, flip_y=True))


def write_hdf5(path, events, layout):
    import h5py
    with h5py.File(path, 'w') as handle:
        if layout == 'dhp19':  # 1-based pixels, one group per camera
            group, shift = handle.create_group('cam2_events'), 1
            handle.create_dataset('cam2_ms_to_idx', data=np.zeros(3, np.int64))
        else:  # DSEC: µs after t_offset
            group, shift = handle.create_group('events'), 0
            handle.create_dataset('t_offset', data=np.int64(1_000_000))
        group.create_dataset('x', data=events['x'] + shift)
        group.create_dataset('y', data=events['y'] + shift)
        group.create_dataset('t', data=events['timestamp'] - (0 if layout == 'dhp19'
                                                              else 1_000_000))
        group.create_dataset('p', data=events['polarity'])


def write_csv(path, events, order):
    columns = {'t': events['timestamp'], 'x': events['x'], 'y': events['y'],
               'p': events['polarity']}
    header = ','.join(order) if order == 'txyp' else ''
    np.savetxt(path, np.stack([columns[k] for k in order], axis=1), fmt='%d', delimiter=',',
               header=header, comments='')


WRITERS = {
    # name: (file name, format, writer) -- names chosen to mislead: content decides
    'aedat4': ('rec.aedat', 'aedat4', lambda p, e: write_aedat4(p, e, SENSOR)),
    'aedat3.1': ('rec.aedat', 'aedat3', lambda p, e: write_aedat3(p, e, source='DAVIS346B')),
    'aedat2 davis': ('rec.aedat', 'aedat2', lambda p, e: write_aedat2(p, e, chip=DAVIS346)),
    'raw evt3': ('rec.raw', 'raw', lambda p, e: write_raw(p, e, 'evt3')),
    'raw evt2': ('rec.bin', 'raw', lambda p, e: write_raw(p, e, 'evt2')),
    'raw evt21': ('rec.raw', 'raw', lambda p, e: write_evt21(p, e, legacy=False)),
    'raw evt21 imx636': ('rec.dat', 'raw', lambda p, e: write_evt21(p, e, legacy=True)),
    'dat': ('rec.raw', 'dat', write_dat),
    'es': ('rec.dat', 'es', write_es),
    'hdf5 dhp19': ('rec.h5', 'hdf5', lambda p, e: write_hdf5(p, e, 'dhp19')),
    'hdf5 dsec': ('rec.hdf5', 'hdf5', lambda p, e: write_hdf5(p, e, 'dsec')),
    'csv with header': ('rec.txt', 'csv', lambda p, e: write_csv(p, e, 'txyp')),
    'csv metavision order': ('rec.csv', 'csv', lambda p, e: write_csv(p, e, 'xypt')),
    'npy': ('rec.npy', 'npy', lambda p, e: np.save(p, e)),
}


@pytest.mark.parametrize('name', WRITERS)
def test_every_format_is_recognised_by_content_and_read_exactly(tmp_path, events, name):
    filename, expected, write = WRITERS[name]
    path = tmp_path / filename
    write(path, events)
    assert detect_format(path) == expected
    recording = open_recording(path, sensor=SENSOR)
    # DSEC's cameras are 640x480 whatever the events are
    assert recording.sensor == (SensorSize(640, 480) if name == 'hdf5 dsec' else SENSOR)
    got = concatenate(list(recording))
    assert np.array_equal(got, events), recording.format


def test_csv_in_seconds_separated_by_spaces(tmp_path, events):
    """The Event Camera Dataset's events.txt: 't x y p', t in seconds."""
    path = tmp_path / 'events.txt'
    with path.open('w') as handle:
        for e in events[:500]:
            handle.write(f'{e["timestamp"] / 1e6:.6f} {e["x"]} {e["y"]} {e["polarity"]}\n')
    got = concatenate(list(open_recording(path, sensor=SENSOR)))
    assert np.array_equal(got, events[:500])


def test_evt21_words_decode_as_the_specification_and_openeb_lay_them_out(tmp_path):
    """Hand-packed words, not our encoder's: OpenEB's Evt21Raw::Event_2D (valid 0-31, y 32-42,
    x 43-53, ts 54-59, type 60-63) after a TIME_HIGH (ts 32-59), written once as a GenX320
    sends them (one little-endian 64-bit value) and once as an IMX636 does (two little-endian
    halves, upper first: the specification's 0x0102030405060708 -> 04 03 02 01 08 07 06 05)."""
    from hybrid_perception.events.codecs import evt21
    example = np.frombuffer(bytes([4, 3, 2, 1, 8, 7, 6, 5]), evt21.WORD)
    assert int(evt21.to_words(example, legacy=True)[0]) == 0x0102030405060708
    high, low = 0x0ABCDEF, 0x2A
    words = [(0x8 << 60) | (high << 32),
             (0x1 << 60) | (low << 54) | (1000 << 43) | (700 << 32) | (1 << 31) | 0b11,
             (0x0 << 60) | (low << 54) | (5 << 43) | (6 << 32) | 0b100,
             (0xA << 60) | (low << 54),                                 # a trigger: no event
             (0xC << 60)]                                               # reserved
    t = (high << 6) | low
    expected = [(t, 1000, 700, 1), (t, 1001, 700, 1), (t, 1031, 700, 1), (t, 7, 6, 0)]
    header = '% evt 2.1\n% format EVT21;height=720;width=1280{}\n% end\n'
    for name, legacy, body in (
            ('genx320', '', b''.join(w.to_bytes(8, 'little') for w in words)),
            ('imx636', ';endianness=legacy',
             b''.join((w >> 32).to_bytes(4, 'little') + (w & 0xFFFFFFFF).to_bytes(4, 'little')
                      for w in words))):
        path = tmp_path / f'{name}.raw'
        path.write_bytes(header.format(legacy).encode() + body)
        recording = open_recording(path)
        assert recording.sensor == SensorSize(1280, 720)
        got = concatenate(list(recording))
        assert [tuple(int(e[f]) for f in ('timestamp', 'x', 'y', 'polarity'))
                for e in got] == expected, name


def test_nmnist_bin_holds_no_size_so_it_is_the_events_extent(tmp_path, rng):
    n = 3000
    events = make_events(np.sort(rng.integers(0, 300_000, n)), rng.integers(0, 34, n),
                         rng.integers(0, 34, n), rng.integers(0, 2, n))
    path = write_atis_bin(tmp_path / '00002.bin', events)
    assert detect_format(path) == 'bin'
    recording = open_recording(path)
    assert recording.sensor == SensorSize(34, 34)
    assert np.array_equal(concatenate(list(recording)), events)
    assert open_recording(path, sensor=SensorSize(40, 40)).sensor == SensorSize(40, 40)


def test_raw_agrees_with_faerys_decoder_on_a_long_recording(tmp_path, rng):
    """Over EVT3's 24-bit time wrap (16.8 s) and EVT2's time-high words: our compiled
    codecs read what faery's decoder reads, event for event. (faery 0.7.1's EVT3 decoder
    stops the clock at 2**25 - 1 µs, after the second wrap, where ours runs on: kept below.)"""
    from faery.extension import evt
    n = 30_000
    events = make_events(np.sort(rng.integers(0, 30_000_000, n)), rng.integers(0, 346, n),
                         rng.integers(0, 260, n), rng.integers(0, 2, n))
    for version in ('evt3', 'evt2'):
        path = tmp_path / f'{version}.raw'
        write_raw(path, events, version)
        with evt.Decoder(path, None, None) as decoder:
            theirs = np.concatenate([p['events'] for p in decoder if 'events' in p])
        ours = concatenate(list(open_recording(path)))
        assert ours.size == theirs.size == n
        for a, b in (('timestamp', 't'), ('x', 'x'), ('y', 'y'), ('polarity', 'on')):
            assert np.array_equal(ours[a], theirs[b].astype(ours[a].dtype)), (version, a)


def test_jaer_dvs128_axes_polarity_and_special_events_follow_jaers_extractor(tmp_path):
    """jAER's DVS128 extractor: x = 127 - raw x (bits 1-7), y = raw y (bits 8-14) counted up
    from the bottom row, raw polarity bit 0 = ON; bit 15 marks a sync event. Our arrays count
    y down from the top row, so raw (0, 0) is the bottom-right pixel as jAER shows it."""
    import struct
    raw = [(0x0000, 10), (0x0001, 20), ((5 << 8) | (3 << 1), 30), (0x8000, 40)]
    body = b''.join(struct.pack('>II', a, t) for a, t in raw)
    path = tmp_path / 'dvs128.aedat'
    path.write_bytes(b'#!AER-DAT2.0\r\n# AEChip: ch.unizh.ini.jaer.chip.retina.DVS128\r\n'
                     + body)
    got = concatenate(list(open_recording(path)))
    assert got.tolist() == [(10, 127, 127, 1), (20, 127, 127, 0), (30, 124, 122, 1)]


def test_jaer_davis_skips_aps_imu_and_external_input_samples(tmp_path):
    import struct
    pixel = (7 << 22) | (9 << 12) | (1 << 11)            # ON at raw (9, 7)
    raw = [(pixel, 5), (pixel | (1 << 31), 6), ((1 << 10), 7), (pixel & ~(1 << 11), 8)]
    path = tmp_path / 'davis.aedat'
    path.write_bytes(b'#!AER-DAT2.0\r\n# AEChip: eu.seebetter.ini.chips.davis.DAVIS240C\r\n'
                     + b''.join(struct.pack('>II', a, t) for a, t in raw))
    recording = open_recording(path)
    assert recording.sensor == SensorSize(240, 180)
    assert concatenate(list(recording)).tolist() == [(5, 230, 172, 1), (8, 230, 172, 0)]


def test_jaer_timestamps_run_on_across_the_32_bit_wrap(tmp_path, rng):
    t = np.sort(rng.integers(2**32 - 2_000_000, 2**32 + 2_000_000, 5000))
    events = make_events(t, rng.integers(0, 128, t.size), rng.integers(0, 128, t.size),
                         rng.integers(0, 2, t.size))
    path = write_aedat2(tmp_path / 'wrap.aedat', events)
    got = concatenate(list(open_recording(path)))
    assert np.array_equal(got['timestamp'], t - (2**32 - 2_000_000) + (2**32 - 2_000_000) % 2**32)


def test_aedat31_timestamps_run_on_across_overflow_packets(tmp_path, rng):
    t = np.sort(rng.integers(2**31 - 1_000_000, 2**31 + 1_000_000, 5000))
    events = make_events(t, rng.integers(0, 128, t.size), rng.integers(0, 128, t.size),
                         rng.integers(0, 2, t.size))
    path = write_aedat3(tmp_path / 'overflow.aedat', events, packet_events=700)
    assert np.array_equal(concatenate(list(open_recording(path))), events)


CUT_SHORT = ['aedat4', 'aedat3.1', 'aedat2 davis', 'raw evt3', 'raw evt2', 'raw evt21', 'dat',
             'npy', 'csv with header']


@pytest.mark.parametrize('name', CUT_SHORT)
def test_a_file_cut_short_gives_every_event_before_the_cut_then_names_the_damage(
        tmp_path, events, name):
    """Cut at four neighbouring bytes: a cut between two records cannot be told from the
    file's end, every other one is reported; each time the events before it all arrive."""
    filename, _, write = WRITERS[name]
    path = tmp_path / filename
    write(path, events)
    data = path.read_bytes()
    reported = 0
    for cut in range(int(len(data) * 0.6), int(len(data) * 0.6) + 4):
        path.write_bytes(data[:cut])
        got = []
        try:
            got.extend(open_recording(path, sensor=SENSOR))
        except EventFormatError as err:
            assert f'{filename}: read as ' in str(err)
            assert 'truncated' in str(err) or 'unreadable' in str(err)
            reported += 1
        got = concatenate(got)
        assert events.size * 0.4 < got.size < events.size
        assert np.array_equal(got, events[:got.size])
    assert reported >= 2


@pytest.mark.parametrize('content,message', [
    (b'#!AER-DAT1.0\r\n\x00\x01', 'AEDAT 1.0: not a version read here'),
    (b'\x00\x01\x02garbage', 'not a recording format read here'),
    (b'% evt 4.0\n% format EVT4;width=640;height=480\n% end\n\x00',
     'EVT 4.0 is not an encoding read'),
    (b'% Data file containing CD events.\n% Version 2\n\x02\x08', 'only CD events'),
    (b'#!AER-DAT2.0\r\n# AEChip: org.example.Retina9000\r\n', "chip 'org.example.Retina9000'"),
])
def test_foreign_files_are_refused_in_one_line_naming_the_file(tmp_path, content, message):
    path = tmp_path / 'strange.aedat'
    path.write_bytes(content)
    with pytest.raises(EventFormatError, match=message) as error:
        open_recording(path)
    assert str(path) in str(error.value) and '\n' not in str(error.value)


def test_a_table_without_a_size_needs_one(tmp_path, events):
    path = tmp_path / 'rec.npy'
    np.save(path, events)
    with pytest.raises(EventFormatError, match='gives no sensor size'):
        open_recording(path)


def test_an_npy_of_python_objects_is_refused_not_unpickled(tmp_path):
    path = tmp_path / 'evil.npy'
    np.save(path, np.array([{'t': 1}], dtype=object), allow_pickle=True)
    with pytest.raises(EventFormatError, match='Python objects'):
        open_recording(path, sensor=SENSOR)


FUZZED = ['aedat4', 'aedat3.1', 'aedat2 davis', 'raw evt3', 'raw evt2', 'raw evt21 imx636', 'dat',
          'es', 'npy']


@pytest.fixture(scope='module')
def pristine(tmp_path_factory):
    """One small valid file per format, to damage."""
    rng = np.random.default_rng(5)
    n = 400
    events = make_events(np.sort(rng.integers(0, 100_000, n)), rng.integers(0, 346, n),
                         rng.integers(0, 260, n), rng.integers(0, 2, n))
    folder = tmp_path_factory.mktemp('pristine')
    files = {}
    for name in FUZZED:
        filename, _, write = WRITERS[name]
        path = folder / f'{name.replace(" ", "_")}-{filename}'
        write(path, events)
        files[name] = path.read_bytes()
    return files


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.sampled_from(FUZZED), where=st.floats(0.0, 1.0),
       garbage=st.binary(min_size=1, max_size=64), cut=st.booleans())
def test_damaged_files_give_events_or_a_format_error_never_a_crash(
        tmp_path, pristine, name, where, garbage, cut):
    data = pristine[name]
    at = int(where * (len(data) - 1))
    damaged = data[:at] + garbage + (b'' if cut else data[at + len(garbage):])
    path = tmp_path / f'fuzz-{name.replace(" ", "_")}'
    path.write_bytes(damaged)
    try:
        recording = open_recording(path, sensor=SENSOR)
        for chunk in recording:
            assert chunk.dtype.names == ('timestamp', 'x', 'y', 'polarity')
    except EventFormatError as err:
        assert str(path) in str(err)
