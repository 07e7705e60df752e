"""DVS128 Gesture (Amir et al., CVPR 2017) as published: AEDAT 3.1 recordings plus label CSVs.

The archive ``DvsGesture.tar.gz`` holds ``userNN_<lighting>.aedat`` (one recording of one
subject under one lighting), ``userNN_<lighting>_labels.csv`` (``class,startTime_usec,
endTime_usec``, classes 1..11) and ``trials_to_train.txt`` / ``trials_to_test.txt`` (the split
by subject: users 1-23 train, 24-29 test). tonic's ``DVSGesture`` reads a re-packaged numpy
download instead, so the original files are read here directly: an AEDAT 3.1 file is an ASCII
header, then packets of a 28-byte header and ``capacity`` fixed-size events; a polarity event
(type 1) is 8 bytes, a uint32 address (x bits 17-31, y bits 2-16, polarity bit 1, valid bit 0)
and the low 31 bits of its timestamp, the high bits being the packet's overflow counter.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hybrid_perception.errors import EventFormatError
from hybrid_perception.events.array import SensorSize, concatenate, make_events, select

__all__ = ['DVS_GESTURE_SENSOR', 'DvsGestureRecording', 'GestureSegment', 'read_aedat3',
           'read_labels', 'write_aedat3', 'recordings']

DVS_GESTURE_SENSOR = SensorSize(128, 128)
_END_OF_HEADER = b'#!END-HEADER\r\n'
_PACKET_HEADER = np.dtype([('type', '<u2'), ('source', '<u2'), ('size', '<u4'),
                           ('ts_offset', '<u4'), ('ts_overflow', '<u4'), ('capacity', '<u4'),
                           ('number', '<u4'), ('valid', '<u4')])
_POLARITY_EVENT = 1


@dataclass(frozen=True)
class GestureSegment:
    """One performance of a gesture in a recording; ``label`` indexes GESTURE_CLASSES (0..10)."""

    label: int
    start_us: int
    end_us: int


def read_aedat3(path: str | Path) -> np.ndarray:
    """Valid polarity events of an AEDAT 3.1 file, in file order; other packet types skipped."""
    data = _read_bytes(path)
    offset = data.find(_END_OF_HEADER)
    if not data.startswith(b'#!AER-DAT3') or offset < 0:
        raise EventFormatError(f'{path}: not an AEDAT 3.x file (no #!AER-DAT3 header)')
    offset += len(_END_OF_HEADER)
    chunks = []
    while offset < len(data):
        if offset + _PACKET_HEADER.itemsize > len(data):
            raise EventFormatError(f'{path}: truncated packet header at byte {offset}')
        header = np.frombuffer(data, _PACKET_HEADER, 1, offset)[0]
        offset += _PACKET_HEADER.itemsize
        length = int(header['capacity']) * int(header['size'])
        if offset + length > len(data):
            raise EventFormatError(f'{path}: truncated packet at byte {offset} '
                                   f'({len(data) - offset} of {length} bytes)')
        if header['type'] == _POLARITY_EVENT:
            if header['size'] != 8:
                raise EventFormatError(f'{path}: polarity events of {header["size"]} bytes, '
                                       f'expected 8')
            words = np.frombuffer(data, '<u4', 2 * int(header['capacity']), offset)
            chunks.append(_decode_polarity(words[0::2], words[1::2], int(header['ts_overflow'])))
        offset += length
    return concatenate(chunks)


def _decode_polarity(address: np.ndarray, timestamp: np.ndarray, overflow: int) -> np.ndarray:
    valid = (address & 1).astype(bool)
    address = address[valid]
    t = (np.int64(overflow) << 31) | timestamp[valid].astype(np.int64)
    return make_events(t, (address >> 17) & 0x7FFF, (address >> 2) & 0x7FFF, (address >> 1) & 1)


def write_aedat3(path: str | Path, events: np.ndarray, *, packet_events: int = 4096) -> Path:
    """Write polarity events as AEDAT 3.1 (how tests make files in the dataset's format)."""
    path = Path(path)
    t = events['timestamp'].astype(np.int64)
    if t.size and t.min() < 0:
        raise ValueError('AEDAT 3.1 timestamps cannot be negative')
    address = ((events['x'].astype(np.uint32) << 17) | (events['y'].astype(np.uint32) << 2)
               | (events['polarity'].astype(np.uint32) << 1) | 1)
    with path.open('wb') as handle:
        handle.write(b'#!AER-DAT3.1\r\n#Format: RAW\r\n#Source 1: DVS128\r\n' + _END_OF_HEADER)
        for start in range(0, t.size, packet_events):
            part = slice(start, start + packet_events)
            overflow = t[part] >> 31
            for high in np.unique(overflow):  # one packet per overflow epoch
                mine = overflow == high
                words = np.empty((int(mine.sum()), 2), '<u4')
                words[:, 0] = address[part][mine]
                words[:, 1] = t[part][mine] & 0x7FFFFFFF
                header = np.array([(_POLARITY_EVENT, 1, 8, 4, high, len(words), len(words),
                                    len(words))], _PACKET_HEADER)
                handle.write(header.tobytes() + words.tobytes())
    return path


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
    labels: Path

    @property
    def subject(self) -> int:
        return int(self.aedat.name.split('_')[0].removeprefix('user'))

    def segments(self) -> Iterator[tuple[GestureSegment, np.ndarray]]:
        """Each labelled segment with its events, timestamps relative to the segment start."""
        events = read_aedat3(self.aedat)
        t = events['timestamp']
        for segment in read_labels(self.labels):
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
