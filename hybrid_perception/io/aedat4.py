"""AEDAT4 files (iniVation's format) through dv-processing.

dv-processing hands out ``EventStore.numpy()`` as a zero-copy view in our layout. The other
direction has no bulk constructor in its Python API, so writing fills the store event by event
(about 2.5 M events/s): fine for recordings and tests, not a hot path.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from hybrid_perception.errors import EventFormatError
from hybrid_perception.events.array import SensorSize, concatenate

__all__ = ['Aedat4Reader', 'read_aedat4', 'write_aedat4', 'to_event_store']


def _dv():
    import dv_processing
    return dv_processing


def _first_line(err: Exception) -> str:
    return str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__


def to_event_store(events: np.ndarray):
    """Copy events into a ``dv_processing.EventStore``."""
    store = _dv().EventStore()
    for t, x, y, p in zip(events['timestamp'].tolist(), events['x'].tolist(),
                          events['y'].tolist(), events['polarity'].tolist(), strict=True):
        store.push_back(t, x, y, bool(p))
    return store


class Aedat4Reader:
    """Sequential reader of one AEDAT4 file's event stream, batch by batch."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise EventFormatError(f'{self.path}: no such AEDAT4 file')
        try:
            self._recording = _dv().io.MonoCameraRecording(str(self.path))
        except RuntimeError as err:
            raise EventFormatError(f'{self.path}: not a readable AEDAT4 file '
                                   f'(truncated or corrupt?): {_first_line(err)}') from err
        if not self._recording.isEventStreamAvailable():
            raise EventFormatError(f'{self.path}: the file has no event stream')
        width, height = self._recording.getEventResolution()
        self.sensor = SensorSize(int(width), int(height))
        self.camera_name = self._recording.getCameraName()

    def __iter__(self) -> Iterator[np.ndarray]:
        self._recording.resetSequentialRead()
        while True:
            try:
                batch = self._recording.getNextEventBatch()
            except RuntimeError as err:
                raise EventFormatError(f'{self.path}: unreadable event batch: '
                                       f'{_first_line(err)}') from err
            if batch is None:
                return
            if batch.size():
                yield batch.numpy().copy()


def read_aedat4(path: str | Path) -> tuple[np.ndarray, SensorSize]:
    """All events of a file, and its sensor size."""
    reader = Aedat4Reader(path)
    return concatenate(list(reader)), reader.sensor


def write_aedat4(path: str | Path, events: np.ndarray, sensor: SensorSize, *,
                 camera_name: str = 'hybrid_perception', batch: int = 100_000) -> None:
    """Write events (time-sorted) as an AEDAT4 event stream."""
    dv = _dv()
    config = dv.io.MonoCameraWriter.EventOnlyConfig(camera_name, (sensor.width, sensor.height))
    writer = dv.io.MonoCameraWriter(str(path), config)
    for start in range(0, events.size, batch):
        writer.writeEvents(to_event_store(events[start:start + batch]))
    del writer  # the destructor flushes and writes the file's index
