"""AEDAT4 (iniVation's format): read by faery, written by dv-processing.

Reading goes through faery's AEDAT decoder, which walks the file's packets in order: a file
cut short or damaged gives every event before the damage and then an error. dv-processing
needs the index at the file's end (a truncated file gives nothing), refuses a file not named
``.aedat4``, and on a file with 4 KB overwritten mid-way spins forever in C++, deaf to SIGINT
and SIGTERM (measured; #24); the two read at the same speed (benchmarks/recordings.py).

dv-processing still writes (its writer is the reference) and runs the cameras; its Python API
has no bulk constructor, so the store is filled event by event (about 2.5 M events/s): fine
for recordings and tests, not a hot path.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from hybrid_perception.events.array import SensorSize, concatenate, make_events
from hybrid_perception.io.recordings.reading import broken, library_errors

__all__ = ['MAGIC', 'Aedat4Reader', 'Aedat4Writer', 'read_aedat4', 'write_aedat4']

MAGIC = b'#!AER-DAT4.0'
FORMAT = 'AEDAT4'


class Aedat4Reader:
    """Sequential reader of one AEDAT4 file's first event stream, packet by packet."""

    format = FORMAT

    def __init__(self, path: str | Path) -> None:
        from faery.extension import aedat
        self.path = Path(path)
        if not self.path.is_file():
            raise broken(self.path, FORMAT, 'no such file')
        self._aedat = aedat
        with library_errors(self.path, FORMAT), aedat.Decoder(self.path) as decoder:
            tracks = [t for t in decoder.tracks() if t.data_type == 'events']
        if not tracks or tracks[0].dimensions is None:
            raise broken(self.path, FORMAT, 'the file has no event stream')
        self._track = tracks[0].id
        self.sensor = SensorSize(*tracks[0].dimensions)

    def __iter__(self) -> Iterator[np.ndarray]:
        with library_errors(self.path, FORMAT), self._aedat.Decoder(self.path) as decoder:
            for track, packet in decoder:
                if track.id == self._track and len(packet):
                    yield make_events(packet['t'], packet['x'], packet['y'], packet['on'])


def read_aedat4(path: str | Path) -> tuple[np.ndarray, SensorSize]:
    """All events of a file, and its sensor size."""
    reader = Aedat4Reader(path)
    return concatenate(list(reader)), reader.sensor


def _event_store(events: np.ndarray):
    """Copy events into a ``dv_processing.EventStore``."""
    import dv_processing
    store = dv_processing.EventStore()
    for t, x, y, p in zip(events['timestamp'].tolist(), events['x'].tolist(),
                          events['y'].tolist(), events['polarity'].tolist(), strict=True):
        store.push_back(t, x, y, bool(p))
    return store


class Aedat4Writer:
    """Writes an AEDAT4 event stream chunk by chunk (time-sorted), through dv-processing.

    dv-processing's writer aborts the process (C++ terminate) on a name not ending in
    ``.aedat4``, so such a file is written under that suffix and renamed on :meth:`close`.
    """

    def __init__(self, path: str | Path, sensor: SensorSize, *,
                 camera_name: str = 'hybrid_perception') -> None:
        import dv_processing as dv
        self.path = Path(path)
        self._target = self.path if self.path.suffix == '.aedat4' else \
            self.path.with_name(self.path.name + '.aedat4')
        config = dv.io.MonoCameraWriter.EventOnlyConfig(camera_name,
                                                        (sensor.width, sensor.height))
        self._writer = dv.io.MonoCameraWriter(str(self._target), config)

    def write(self, events: np.ndarray, batch: int = 100_000) -> None:
        for start in range(0, events.size, batch):
            self._writer.writeEvents(_event_store(events[start:start + batch]))

    def close(self) -> None:
        if self._writer is not None:
            self._writer = None  # the destructor flushes and writes the file's index
            if self._target != self.path:
                self._target.replace(self.path)

    def __enter__(self) -> Aedat4Writer:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def write_aedat4(path: str | Path, events: np.ndarray, sensor: SensorSize, *,
                 camera_name: str = 'hybrid_perception', batch: int = 100_000) -> None:
    """Write events (time-sorted) as an AEDAT4 event stream."""
    with Aedat4Writer(path, sensor, camera_name=camera_name) as writer:
        writer.write(events, batch)
