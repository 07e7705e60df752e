"""Evaluation bags: events and GestureLabel ground truth, written and read with rosbags."""

import numpy as np
import pytest

from hybrid_perception.datasets.gesture_bag import read_gesture_labels, write_gesture_bag
from hybrid_perception.datasets.gestures import GESTURE_CLASSES, GestureClips, subjects
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
    assert [s.label for s in spans] == [*range(11), 0, 1]  # round robin over classes ...
    assert len({s.subject for s in spans}) == 2            # ... then the next test subject
    assert all(a.end_us == b.start_us for a, b in zip(spans, spans[1:], strict=False))
    assert [s.name for s in spans[:2]] == list(GESTURE_CLASSES[:2])


def test_events_of_each_span_are_the_test_clip_render(bag):
    path, spans = bag
    reader = EventBagReader(path)
    events = concatenate(list(reader))
    assert (reader.sensor.width, reader.sensor.height) == (128, 128)
    clips = GestureClips()
    subject = subjects('test', 4)[1]
    span = spans[12]
    take = clips.take(1, subject, np.random.default_rng([4, subject.seed, 1, 0]))
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
