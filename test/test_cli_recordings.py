"""`hybrid-perception convert-recording` and `inspect`, run as users run them, on files
written in their formats' exact layouts."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from hybrid_perception.events.array import SensorSize, concatenate, make_events
from hybrid_perception.io.recordings import open_recording
from hybrid_perception.io.recordings.jaer import write_aedat2
from hybrid_perception.io.rosbag import EventBagReader


def run(*args, cwd=None):
    return subprocess.run([sys.executable, '-m', 'hybrid_perception.cli', *args],
                          capture_output=True, text=True, timeout=300, cwd=cwd)


@pytest.fixture
def jaer_file(tmp_path, rng):
    """A DAVIS240 jAER recording with one stuck pixel."""
    n = 6000
    events = make_events(np.sort(rng.integers(0, 2_000_000, n)), rng.integers(0, 240, n),
                         rng.integers(0, 180, n), rng.integers(0, 2, n))
    events['x'][::10], events['y'][::10] = 17, 33
    path = write_aedat2(tmp_path / 'office.aedat', events,
                        chip='eu.seebetter.ini.chips.davis.DAVIS240C')
    return path, events


@pytest.mark.parametrize('out,events_type', [('copy.aedat4', None), ('bag', 'point_cloud2'),
                                             ('bag', 'event_packet')])
def test_convert_recording_keeps_every_event_and_the_size(tmp_path, jaer_file, out,
                                                          events_type):
    path, events = jaer_file
    extra = [] if events_type is None else ['--events-type', events_type]
    result = run('convert-recording', str(path), str(tmp_path / out), *extra)
    assert result.returncode == 0, result.stderr
    assert f'(AEDAT 2.0 (jAER), 240x180): {events.size} events written' in result.stdout
    if events_type is None:
        recording = open_recording(tmp_path / out)
        got = concatenate(list(recording))
    else:
        recording = EventBagReader(tmp_path / out)
        got = concatenate(list(recording))
        assert recording.connection.msgtype.endswith(
            'PointCloud2' if events_type == 'point_cloud2' else 'EventPacket')
    assert recording.sensor == SensorSize(240, 180)
    assert np.array_equal(got, events)
    refused = run('convert-recording', str(path), str(tmp_path / out))
    assert refused.returncode == 2 and 'exists' in refused.stderr


def test_convert_recording_of_a_damaged_file_keeps_what_came_before(tmp_path, jaer_file):
    path, events = jaer_file
    data = path.read_bytes()
    path.write_bytes(data[:len(data) - 8 * 1000 - 3])  # the last 1000 events and a bit
    result = run('convert-recording', str(path), str(tmp_path / 'kept.aedat4'))
    assert result.returncode == 1
    assert 'office.aedat: read as AEDAT 2.0 (jAER): truncated' in result.stdout
    got = concatenate(list(open_recording(tmp_path / 'kept.aedat4')))
    assert np.array_equal(got, events[:events.size - 1001])


def test_inspect_reports_and_plots_a_recording(tmp_path, jaer_file):
    path, events = jaer_file
    result = run('inspect', str(path), '--json', cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report['format'] == 'AEDAT 2.0 (jAER)' and report['sensor'] == '240x180'
    assert report['events'] == events.size
    assert report['duration_s'] == (events['timestamp'][-1] - events['timestamp'][0]) / 1e6
    assert report['on_fraction'] == round(float(np.mean(events['polarity'])), 4)
    assert report['hot_pixels'][0] == [17, 33, int(np.sum((events['x'] == 17)
                                                         & (events['y'] == 33)))]
    assert (tmp_path / 'office.aedat.inspect.png').stat().st_size > 10_000
    bad = run('inspect', str(tmp_path / 'nothing.csv'))
    assert bad.returncode == 2 and 'no such file' in bad.stderr


def test_inspect_holds_a_recording_against_the_synthetic_world(tmp_path, jaer_file):
    """The recording's size- and length-free figures beside those of takes the synthetic
    gesture world renders, in JSON and as a table, and both drawn."""
    path, events = jaer_file
    result = run('inspect', str(path), '--json', '--against', 'gesture', '--against-seconds',
                 '0.3', cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    against = json.loads(result.stdout.strip().splitlines()[-1])['against']
    ours, synthetic = against['recording'], against['synthetic']
    assert against['world'] == 'gesture' and set(ours) == set(synthetic)
    duration = (events['timestamp'][-1] - events['timestamp'][0]) / 1e6
    assert ours['events_per_pixel_s'] == pytest.approx(events.size / duration / (240 * 180))
    assert ours['hot_pixel_share'] == pytest.approx(1 / (240 * 180))     # the stuck pixel
    # a person gesturing in front of a 128x128 sensor: far busier than this sparse recording
    assert synthetic['events_per_pixel_s'] > 10 * ours['events_per_pixel_s']
    assert 0 < synthetic['on_fraction'] < 1 and 0 < synthetic['active_pixel_share'] <= 1
    table = run('inspect', str(path), '--against', 'pose', '--against-seconds', '0.3',
                cwd=tmp_path)
    assert table.returncode == 0, table.stderr
    assert '| events_per_pixel_s |' in table.stdout and 'synthetic pose' in table.stdout
