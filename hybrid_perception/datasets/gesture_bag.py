"""Evaluation bags of gestures: events plus ``GestureLabel`` ground truth, and reading it back.

A bag holds takes back to back on one sensor clock, as a live camera would see a sequence of
people gesturing; each take is one ``hybrid_perception_msgs/msg/GestureLabel`` on ``/ground_truth``
with its time span. Takes are the synthetic test split's (the same renders as the test clips
training scores), so the live evaluation and the offline test score the same data; or the
real DVS128 Gesture test recordings, whole (the moments between gestures too, unlabelled, as
a camera sees them).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from hybrid_perception.datasets.dvs_gesture import DVS_GESTURE_SENSOR, DvsGestureRecording
from hybrid_perception.datasets.gesture_classes import CLASSES, GESTURE_CLASSES
from hybrid_perception.datasets.gestures import GestureClips, subjects
from hybrid_perception.datasets.splits import round_robin
from hybrid_perception.errors import EventFormatError
from hybrid_perception.events.pointcloud import stamp_from_us, us_from_stamp
from hybrid_perception.io.rosbag import EventBagWriter, typestore
from hybrid_perception.io.sources import packetize

__all__ = ['GESTURE_LABEL', 'RECORDING_GAP_US', 'LabelSpan', 'read_gesture_labels',
           'write_gesture_bag', 'write_recordings_bag']

GESTURE_LABEL = 'hybrid_perception_msgs/msg/GestureLabel'
#: silence between two recordings in one bag: longer than any node's gap reset, so each
#: recording starts on fresh network state as it would on a camera switched on for it
RECORDING_GAP_US = 1_000_000


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
    """``samples`` takes of the synthetic test subjects, back to back, with ground truth: every
    class in turn, ``none`` (a scene without a gesture) among them."""
    clips = clips or GestureClips()
    duration = clips.total_bins * clips.bin_us
    spans = []
    with EventBagWriter(path, clips.renderer.sensor, storage=storage) as writer:
        jobs = tqdm(list(round_robin(subjects('test', seed), len(CLASSES), samples)),
                    desc='rendering takes', unit='take', disable=not progress)
        for i, (subject, gesture, k) in enumerate(jobs):
            start = i * duration
            events = clips.take(gesture, subject, np.random.default_rng(
                [seed, subject.seed, gesture, k]))
            events['timestamp'] += start
            span = LabelSpan(start, start + duration, gesture, CLASSES[gesture],
                             f'test-{subject.seed}')
            _write_label(writer, span)
            for stamp, packet in packetize([events], packet_period_us):
                writer.write(packet, stamp)
            spans.append(span)
    return spans


def write_recordings_bag(path: str | Path, recordings: list[DvsGestureRecording], *,
                         samples: int | None = None, packet_period_us: int = 1000,
                         storage: str = 'mcap', progress: bool = False) -> list[LabelSpan]:
    """DVS128 Gesture recordings back to back, every event as recorded and each labelled
    segment a ``GestureLabel`` (subject: the recording's ``userNN_<lighting>``); with
    ``samples``, the first that many segments, the last recording cut at its end."""
    spans: list[LabelSpan] = []
    cursor = 0
    with EventBagWriter(path, DVS_GESTURE_SENSOR, storage=storage) as writer:
        for recording in tqdm(recordings, desc='reading recordings', unit='file',
                              disable=not progress):
            if samples is not None and len(spans) >= samples:
                break
            events = recording.events()
            if not events.size:
                continue
            segments = recording.labels()
            if samples is not None and len(spans) + len(segments) >= samples:
                segments = segments[:samples - len(spans)]
                if segments:
                    events = events[events['timestamp'] < segments[-1].end_us]
            # the recording's start: its first event, or a label starting before it
            origin = min([int(events['timestamp'][0]), *(s.start_us for s in segments)])
            shift = cursor - origin
            events['timestamp'] += shift
            for segment in segments:
                span = LabelSpan(segment.start_us + shift, segment.end_us + shift, segment.label,
                                 GESTURE_CLASSES[segment.label], recording.name)
                _write_label(writer, span)
                spans.append(span)
            for stamp, packet in packetize([events], packet_period_us):
                writer.write(packet, stamp)
            cursor = int(events['timestamp'][-1]) + RECORDING_GAP_US
    return spans


def _write_label(writer: EventBagWriter, span: LabelSpan) -> None:
    """``span`` on ``/ground_truth``, stamped at its start among the events."""
    sec, nanosec = stamp_from_us(span.end_us)
    writer.write_message('/ground_truth', GESTURE_LABEL, writer.types[GESTURE_LABEL](
        header=writer.header(span.start_us),
        end=writer.types['builtin_interfaces/msg/Time'](sec=sec, nanosec=nanosec),
        label=span.label, name=span.name, subject=span.subject), span.start_us)


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
