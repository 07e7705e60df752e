"""Evaluation bags of gestures: events plus ``GestureLabel`` ground truth, and reading it back.

A bag holds takes back to back on one sensor clock, as a live camera would see a sequence of
people gesturing; each take is one ``hybrid_perception_msgs/msg/GestureLabel`` on ``/ground_truth``
with its time span. Takes are the synthetic test split's (the same renders as the test clips
training scores), so the live evaluation and the offline test score the same data.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from hybrid_perception.datasets.gestures import GESTURE_CLASSES, GestureClips, subjects
from hybrid_perception.datasets.splits import round_robin
from hybrid_perception.errors import EventFormatError
from hybrid_perception.events.pointcloud import stamp_from_us, us_from_stamp
from hybrid_perception.io.rosbag import EventBagWriter, typestore
from hybrid_perception.io.sources import packetize

__all__ = ['GESTURE_LABEL', 'LabelSpan', 'read_gesture_labels', 'write_gesture_bag']

GESTURE_LABEL = 'hybrid_perception_msgs/msg/GestureLabel'


@dataclass(frozen=True)
class LabelSpan:
    start_us: int
    end_us: int
    label: int
    name: str
    subject: str


def write_gesture_bag(path: str | Path, *, samples: int = 66, seed: int = 0,
                      clips: GestureClips | None = None, packet_period_us: int = 1000,
                      storage: str = 'mcap', progress: bool = False) -> list[LabelSpan]:
    """``samples`` takes of the synthetic test subjects, back to back, with ground truth."""
    clips = clips or GestureClips()
    duration = clips.total_bins * clips.bin_us
    spans = []
    with EventBagWriter(path, clips.renderer.sensor, storage=storage) as writer:
        label_type = writer.types[GESTURE_LABEL]
        time_type = writer.types['builtin_interfaces/msg/Time']
        jobs = tqdm(list(round_robin(subjects('test', seed), len(GESTURE_CLASSES), samples)),
                    desc='rendering takes', unit='take', disable=not progress)
        for i, (subject, gesture, k) in enumerate(jobs):
            start = i * duration
            events = clips.take(gesture, subject, np.random.default_rng(
                [seed, subject.seed, gesture, k]))
            events['timestamp'] += start
            span = LabelSpan(start, start + duration, gesture, GESTURE_CLASSES[gesture],
                             f'test-{subject.seed}')
            sec, nanosec = stamp_from_us(span.end_us)
            writer.write_message('/ground_truth', GESTURE_LABEL, label_type(
                header=writer.header(start), end=time_type(sec=sec, nanosec=nanosec),
                label=gesture, name=span.name, subject=span.subject), start)
            for stamp, packet in packetize([events], packet_period_us):
                writer.write(packet, stamp)
            spans.append(span)
    return spans


def read_gesture_labels(path: str | Path, topic: str = '/ground_truth') -> list[LabelSpan]:
    """The ground truth of any bag with ``GestureLabel`` messages on ``topic``, by start."""
    from rosbags.rosbag2 import Reader
    store = typestore()
    try:
        with Reader(Path(path)) as reader:
            connections = [c for c in reader.connections if c.topic == topic]
            if not connections:
                raise EventFormatError(f'{path}: no topic {topic} (GestureLabel ground truth)')
            if connections[0].msgtype != GESTURE_LABEL:
                raise EventFormatError(f'{path}: {topic} holds {connections[0].msgtype}, not '
                                       f'{GESTURE_LABEL}')
            spans = []
            for connection, _, raw in reader.messages(connections=connections):
                m = store.deserialize_cdr(raw, connection.msgtype)
                spans.append(LabelSpan(us_from_stamp(m.header.stamp.sec, m.header.stamp.nanosec),
                                       us_from_stamp(m.end.sec, m.end.nanosec), int(m.label),
                                       str(m.name), str(m.subject)))
    except EventFormatError:
        raise
    except Exception as err:  # rosbags' own errors on a missing or corrupt bag
        raise EventFormatError(f'{path}: cannot read ground truth: {err}') from err
    return sorted(spans, key=lambda s: s.start_us)
