"""AEDAT 3.1: cAER's recordings (and DVS128 Gesture's), read by our own code.

dv-processing reads only AEDAT4; tonic reads DVS128 Gesture from a re-packaged numpy download.
So this follows iniVation's AEDAT 3.1 specification: an ASCII header (``#!AER-DAT3.1`` ...
``#!END-HEADER``), then packets of a 28-byte header (type, source, event size, timestamp
offset, timestamp overflow, capacity, number, valid) and ``capacity`` fixed-size events. A
polarity event (type 1) is 8 bytes: a uint32 address (x bits 17-31, y bits 2-16, polarity
bit 1, valid bit 0) and the low 31 bits of its timestamp, the high bits being the packet's
overflow counter. Pixels count from the top-left corner, as in AEDAT4. Other packet types
(frames, IMU, special events) are skipped.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from hybrid_perception.events.array import SensorSize, concatenate, make_events
from hybrid_perception.io.recordings.reading import broken

__all__ = ['MAGIC', 'Aedat3Reader', 'read_aedat3', 'write_aedat3']

MAGIC = b'#!AER-DAT3'
FORMAT = 'AEDAT 3.1'
_END_OF_HEADER = b'#!END-HEADER\r\n'
_PACKET_HEADER = np.dtype([('type', '<u2'), ('source', '<u2'), ('size', '<u4'),
                           ('ts_offset', '<u4'), ('ts_overflow', '<u4'), ('capacity', '<u4'),
                           ('number', '<u4'), ('valid', '<u4')])
_POLARITY_EVENT = 1
_BATCH_EVENTS = 1 << 20
# "#Source 1: <camera>" -> sensor size, for the cameras cAER records
_SOURCES = (('DVS128', SensorSize(128, 128)), ('DAVIS240', SensorSize(240, 180)),
            ('DAVIS346', SensorSize(346, 260)), ('DAVIS640', SensorSize(640, 480)),
            ('DVXPLORER', SensorSize(640, 480)))


class Aedat3Reader:
    """One AEDAT 3.1 file's valid polarity events, in chunks of whole packets."""

    format = FORMAT

    def __init__(self, path: str | Path, sensor: SensorSize | None = None) -> None:
        self.path = Path(path)
        try:
            with self.path.open('rb') as handle:
                head = handle.read(1 << 20)
        except OSError as err:
            raise broken(self.path, FORMAT, f'cannot read: {err}') from err
        end = head.find(_END_OF_HEADER)
        if not head.startswith(MAGIC) or end < 0:
            raise broken(self.path, FORMAT, 'no #!AER-DAT3 header ending in #!END-HEADER', 0)
        self._data_start = end + len(_END_OF_HEADER)
        header = head[:end].decode('latin-1').upper()
        #: None when the header names no camera known here and no size was given
        self.sensor = next((size for name, size in _SOURCES if name in header), sensor)

    def __iter__(self) -> Iterator[np.ndarray]:
        batch: list[np.ndarray] = []
        try:
            for events in self._packets():
                batch.append(events)
                if sum(b.size for b in batch) >= _BATCH_EVENTS:
                    yield concatenate(batch)
                    batch = []
        finally:  # the packets read before a damaged one are delivered before its error
            if batch:
                yield concatenate(batch)

    def _packets(self) -> Iterator[np.ndarray]:
        try:
            handle = self.path.open('rb')
        except OSError as err:
            raise broken(self.path, FORMAT, f'cannot read: {err}') from err
        with handle:
            offset = self._data_start
            handle.seek(offset)
            size = self.path.stat().st_size
            while True:
                raw = handle.read(_PACKET_HEADER.itemsize)
                if not raw:
                    return
                if len(raw) < _PACKET_HEADER.itemsize:
                    raise broken(self.path, FORMAT, 'truncated packet header', offset)
                header = np.frombuffer(raw, _PACKET_HEADER)[0]
                length = int(header['capacity']) * int(header['size'])
                if header['type'] == _POLARITY_EVENT and header['size'] != 8:
                    raise broken(self.path, FORMAT, f'polarity events of {header["size"]} '
                                                    f'bytes, expected 8', offset)
                if header['type'] != _POLARITY_EVENT:
                    handle.seek(length, 1)
                    if handle.tell() > size:
                        raise broken(self.path, FORMAT, 'truncated packet', offset)
                else:
                    payload = handle.read(length)
                    if len(payload) < length:
                        raise broken(self.path, FORMAT, f'truncated packet ({len(payload)} '
                                                        f'of {length} bytes)', offset)
                    words = np.frombuffer(payload, '<u4')
                    yield _decode_polarity(words[0::2], words[1::2], int(header['ts_overflow']))
                offset += _PACKET_HEADER.itemsize + length


def _decode_polarity(address: np.ndarray, timestamp: np.ndarray, overflow: int) -> np.ndarray:
    valid = (address & 1).astype(bool)
    address = address[valid]
    t = (np.int64(overflow) << 31) | timestamp[valid].astype(np.int64)
    return make_events(t, (address >> 17) & 0x7FFF, (address >> 2) & 0x7FFF, (address >> 1) & 1)


def read_aedat3(path: str | Path) -> np.ndarray:
    """Every valid polarity event of a file, in file order."""
    return concatenate(list(Aedat3Reader(path)))


def write_aedat3(path: str | Path, events: np.ndarray, *, packet_events: int = 4096,
                 source: str = 'DVS128') -> Path:
    """Write polarity events as AEDAT 3.1 (how tests make files in the dataset's format)."""
    path = Path(path)
    t = events['timestamp'].astype(np.int64)
    if t.size and t.min() < 0:
        raise ValueError('AEDAT 3.1 timestamps cannot be negative')
    address = ((events['x'].astype(np.uint32) << 17) | (events['y'].astype(np.uint32) << 2)
               | (events['polarity'].astype(np.uint32) << 1) | 1)
    with path.open('wb') as handle:
        handle.write(b'#!AER-DAT3.1\r\n#Format: RAW\r\n#Source 1: ' + source.encode() + b'\r\n'
                     + _END_OF_HEADER)
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
