"""Evaluation bags: events and GestureLabel ground truth, written and read with rosbags."""

import numpy as np
import pytest

from hybrid_perception.datasets.gesture_bag import read_gesture_labels, write_gesture_bag
from hybrid_perception.datasets.gesture_classes import GESTURE_CLASSES
from hybrid_perception.datasets.gestures import GestureClips, subjects
from hybrid_perception.errors import EventFormatError
from hybrid_perception.events.array import concatenate, select
from hybrid_perception.io.rosbag import EventBagReader, EventBagWriter


@pytest.fixture(scope='module')
def bag(tmp_path_factory):
    path = tmp_path_factory.mktemp('bags') / 'gestures'
    return path, write_gesture_bag(path, samples=13, seed=4)


def test_ground_truth_reads_back_as_written(bag):
    path, spans = bag
    assert read_gesture_labels(path) == spans
    assert [s.label for s in spans] == [*range(12), 0]     # round robin over classes ...
    assert len({s.subject for s in spans}) == 2            # ... then the next test subject
    assert all(a.end_us == b.start_us for a, b in zip(spans, spans[1:], strict=False))
    assert [s.name for s in spans[:2]] == list(GESTURE_CLASSES[:2])
    assert spans[11].name == 'none'                        # a scene with no gesture in it


def test_events_of_each_span_are_the_test_clip_render(bag):
    path, spans = bag
    reader = EventBagReader(path)
    events = concatenate(list(reader))
    assert (reader.sensor.width, reader.sensor.height) == (128, 128)
    clips = GestureClips()
    subject = subjects('test', 4)[1]
    span = spans[12]
    take = clips.take(0, subject, np.random.default_rng([4, subject.seed, 0, 0]))
    t = events['timestamp']
    inside = select(events, np.flatnonzero((t >= span.start_us) & (t < span.end_us)))
    assert np.array_equal(inside['timestamp'] - span.start_us, take['timestamp'])
    assert np.array_equal(inside['x'], take['x'])


def test_bag_without_ground_truth_is_a_clear_error(tmp_path):
    from hybrid_perception.events.array import SensorSize, make_events
    with EventBagWriter(tmp_path / 'plain', SensorSize(8, 8)) as writer:
        writer.write(make_events([1], [1], [1], [1]))
    with pytest.raises(EventFormatError, match='no topic /ground_truth'):
        read_gesture_labels(tmp_path / 'plain')
    with pytest.raises(EventFormatError, match='holds sensor_msgs/msg/PointCloud2'):
        read_gesture_labels(tmp_path / 'plain', topic='/events')
    with pytest.raises(EventFormatError, match='cannot read'):
        read_gesture_labels(tmp_path / 'missing')


def _dvs_gesture_folder(root, rng):
    """A DvsGesture folder as published: two test recordings on their own clocks (AEDAT 3.1),
    their label CSVs, a train recording and both trial lists."""
    from hybrid_perception.events.array import make_events
    from hybrid_perception.io.recordings.aedat3 import write_aedat3
    recorded = {}
    for name, start, labels in (('user24_fluorescent', 5_000_000, '3,5100000,5400000\n'
                                                                  '11,5600000,5900000\n'),
                                ('user25_led', 90_000_000, '7,89900000,90500000\n'),
                                ('user01_natural', 0, '1,0,100000\n')):
        n = 20_000
        events = make_events(start + np.sort(rng.integers(0, 1_000_000, n)),
                             rng.integers(0, 128, n), rng.integers(0, 128, n),
                             rng.integers(0, 2, n))
        write_aedat3(root / f'{name}.aedat', events)
        (root / f'{name}_labels.csv').write_text(f'class,startTime_usec,endTime_usec\r\n{labels}')
        recorded[name] = events
    (root / 'trials_to_test.txt').write_text('user24_fluorescent.aedat\nuser25_led.aedat\n')
    (root / 'trials_to_train.txt').write_text('user01_natural.aedat\n')
    return recorded


def test_dvs_gesture_test_recordings_become_an_evaluation_bag(tmp_path, rng):
    """``dataset gesture --from dvs-gesture:PATH``: the test recordings whole, one after the
    other on one clock, each labelled gesture on /ground_truth; --samples cuts after that many
    gestures."""
    import subprocess
    import sys

    from hybrid_perception.datasets.gesture_bag import RECORDING_GAP_US
    recorded = _dvs_gesture_folder(tmp_path, rng)

    def dataset(*args):
        return subprocess.run([sys.executable, '-m', 'hybrid_perception.cli', 'dataset',
                               'gesture', '--from', f'dvs-gesture:{tmp_path}', *args],
                              capture_output=True, text=True, timeout=300)
    done = dataset('--out', str(tmp_path / 'all'))
    assert done.returncode == 0, done.stderr
    assert '3 labelled gestures of 2 test recordings (user24_fluorescent, user25_led)' in \
        done.stdout
    spans = read_gesture_labels(tmp_path / 'all')
    first, second = recorded['user24_fluorescent'], recorded['user25_led']
    # user25's label starts before its first event: the recording starts there
    shift = int(first['timestamp'][-1] - first['timestamp'][0]) + RECORDING_GAP_US - 89_900_000
    assert [(s.label, s.name, s.subject) for s in spans] == [
        (2, GESTURE_CLASSES[2], 'user24_fluorescent'), (10, GESTURE_CLASSES[10],
                                                        'user24_fluorescent'),
        (6, GESTURE_CLASSES[6], 'user25_led')]
    t0 = int(first['timestamp'][0])
    assert [(s.start_us, s.end_us) for s in spans] == [
        (5_100_000 - t0, 5_400_000 - t0), (5_600_000 - t0, 5_900_000 - t0),
        (89_900_000 + shift, 90_500_000 + shift)]
    events = concatenate(list(EventBagReader(tmp_path / 'all')))
    expected = concatenate([first, second]).copy()
    expected['timestamp'][:first.size] -= t0
    expected['timestamp'][first.size:] += shift
    assert np.array_equal(events, expected)              # every event, the train one left out

    cut = dataset('--out', str(tmp_path / 'two'), '--samples', '2')
    assert cut.returncode == 0, cut.stderr
    assert read_gesture_labels(tmp_path / 'two') == spans[:2]
    events = concatenate(list(EventBagReader(tmp_path / 'two')))
    assert events['timestamp'].max() < spans[1].end_us <= int(first['timestamp'][-1]) - t0
