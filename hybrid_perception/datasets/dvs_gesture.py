"""DVS128 Gesture (Amir et al., CVPR 2017) as published: AEDAT 3.1 recordings plus label CSVs.

The archive ``DvsGesture.tar.gz`` holds ``userNN_<lighting>.aedat`` (one recording of one
subject under one lighting), ``userNN_<lighting>_labels.csv`` (``class,startTime_usec,
endTime_usec``, classes 1..11) and ``trials_to_train.txt`` / ``trials_to_test.txt`` (the split
by subject: users 1-23 train, 24-29 test). tonic's ``DVSGesture`` reads a re-packaged numpy
download instead, so the original files are read here directly (the AEDAT 3.1 reader is
io/recordings/aedat3.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hybrid_perception.errors import EventFormatError
from hybrid_perception.events.array import SensorSize, select
from hybrid_perception.io.recordings.aedat3 import read_aedat3

__all__ = ['DVS_GESTURE_SENSOR', 'DvsGestureRecording', 'GestureSegment', 'read_labels',
           'recordings']

DVS_GESTURE_SENSOR = SensorSize(128, 128)


@dataclass(frozen=True)
class GestureSegment:
    """One performance of a gesture in a recording; ``label`` indexes GESTURE_CLASSES (0..10)."""

    label: int
    start_us: int
    end_us: int


def read_labels(path: str | Path) -> list[GestureSegment]:
    """A ``*_labels.csv``: header ``class,startTime_usec,endTime_usec``, classes 1..11."""
    text = _read_bytes(path).decode('ascii', errors='replace')
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines or not lines[0].startswith('class'):
        raise EventFormatError(f'{path}: expected a "class,startTime_usec,endTime_usec" header')
    segments = []
    for number, line in enumerate(lines[1:], start=2):
        try:
            label, start, end = (int(field) for field in line.split(','))
        except ValueError as err:
            raise EventFormatError(f'{path}:{number}: bad label line {line!r}') from err
        if not 1 <= label <= 11 or end <= start:
            raise EventFormatError(f'{path}:{number}: class {label} or span {start}..{end} '
                                   f'out of range')
        segments.append(GestureSegment(label - 1, start, end))
    return segments


@dataclass(frozen=True)
class DvsGestureRecording:
    """One ``userNN_<lighting>.aedat`` with its labels."""

    aedat: Path
    label_file: Path

    @property
    def subject(self) -> int:
        return int(self.aedat.name.split('_')[0].removeprefix('user'))

    @property
    def name(self) -> str:
        """``userNN_<lighting>``: who, under which light."""
        return self.aedat.stem

    def events(self) -> np.ndarray:
        """The whole recording, on its own clock (µs)."""
        return read_aedat3(self.aedat)

    def labels(self) -> list[GestureSegment]:
        return read_labels(self.label_file)

    def segments(self) -> Iterator[tuple[GestureSegment, np.ndarray]]:
        """Each labelled segment with its events, timestamps relative to the segment start."""
        events = self.events()
        t = events['timestamp']
        for segment in self.labels():
            inside = select(events, np.flatnonzero((t >= segment.start_us)
                                                   & (t < segment.end_us)))
            inside['timestamp'] -= segment.start_us
            yield segment, inside


def recordings(root: str | Path, split: str) -> list[DvsGestureRecording]:
    """The recordings listed in ``trials_to_<split>.txt`` under the extracted ``DvsGesture``."""
    root = Path(root)
    listing = root / f'trials_to_{split}.txt'
    if not listing.is_file():
        raise EventFormatError(f'{root}: no {listing.name}; is this the extracted DvsGesture '
                               f'folder?')
    found = []
    for name in listing.read_text().split():
        aedat = root / name
        labels = aedat.with_name(aedat.stem + '_labels.csv')
        if not aedat.is_file() or not labels.is_file():
            raise EventFormatError(f'{root}: {name} or its labels file is missing')
        found.append(DvsGestureRecording(aedat, labels))
    return found


def _read_bytes(path: str | Path) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as err:
        raise EventFormatError(f'cannot read {path}: {err}') from err
