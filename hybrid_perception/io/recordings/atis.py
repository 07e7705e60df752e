"""The N-MNIST / N-Caltech101 ATIS binary (``.bin``), read by tonic's reader.

Orchard et al.'s published layout: 5 bytes per event, x (8 bits), y (8 bits), polarity (1 bit)
and a 23-bit µs timestamp; an event with y = 240 (off the 304x240 ATIS) marks a timestamp
overflow. tonic's ``read_mnist_file`` is the published reader (gorchard/event-Python) in
numpy; it reads the whole file, which is small (one sample: ~0.3 s, a few thousand events).
The file holds no sensor size: it is the given one, or the smallest holding every event
(34x34 for N-MNIST).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from hybrid_perception.events.array import SensorSize, make_events
from hybrid_perception.io.recordings.reading import broken, library_errors

__all__ = ['AtisBinReader', 'write_atis_bin']

FORMAT = 'N-MNIST / N-Caltech101 binary'
_EVENT_BYTES = 5
_TONIC_DTYPE = np.dtype([('x', '<i2'), ('y', '<i2'), ('t', '<i8'), ('p', 'u1')])


class AtisBinReader:
    """One ATIS ``.bin`` sample's events (the whole file is one chunk)."""

    format = FORMAT

    def __init__(self, path: str | Path, sensor: SensorSize | None = None) -> None:
        from tonic.io import read_mnist_file
        self.path = Path(path)
        try:
            data = self.path.read_bytes()
        except OSError as err:
            raise broken(self.path, FORMAT, f'cannot read: {err}') from err
        whole = len(data) - len(data) % _EVENT_BYTES
        self._cut = None if whole == len(data) else whole
        with library_errors(self.path, FORMAT):
            raw = read_mnist_file(io.BytesIO(data[:whole]), _TONIC_DTYPE, is_stream=True)
        self._events = make_events(raw['t'], raw['x'], raw['y'], raw['p'])
        if sensor is None and raw.size:
            sensor = SensorSize(int(raw['x'].max()) + 1, int(raw['y'].max()) + 1)
        self.sensor = sensor

    def __iter__(self) -> Iterator[np.ndarray]:
        if self._events.size:
            yield self._events
        if self._cut is not None:
            raise broken(self.path, FORMAT, 'truncated: a last event of fewer than 5 bytes',
                         self._cut)


def write_atis_bin(path: str | Path, events: np.ndarray) -> Path:
    """Events in the published 5-byte layout (timestamps below 2**23 µs, no overflow marks)."""
    t = events['timestamp'].astype(np.int64)
    if t.size and (t.min() < 0 or t.max() >= 1 << 23):
        raise ValueError('ATIS .bin timestamps must lie in [0, 2**23) µs')
    raw = np.empty((events.size, _EVENT_BYTES), np.uint8)
    raw[:, 0], raw[:, 1] = events['x'], events['y']
    raw[:, 2] = (events['polarity'].astype(np.int64) << 7) | (t >> 16)
    raw[:, 3], raw[:, 4] = (t >> 8) & 0xFF, t & 0xFF
    Path(path).write_bytes(raw.tobytes())
    return Path(path)
