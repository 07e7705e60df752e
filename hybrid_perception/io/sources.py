"""Where events come from, and how a stream of them is cut into packets.

A source is an iterable of time-sorted event chunks of any size, with a ``sensor`` size and a
``live`` flag (a camera runs on wall-clock time; files and the simulator can be paced).
A live source yields an empty chunk when nothing is available yet, so a caller polling it is
never blocked.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import numpy as np

from hybrid_perception.errors import EventSourceError
from hybrid_perception.events.array import SensorSize, concatenate
from hybrid_perception.io.recordings import open_recording
from hybrid_perception.io.rosbag import EventBagReader
from hybrid_perception.sim.scenes import MovingBarsScene
from hybrid_perception.sim.simulator import DvsParams, DvsSimulator

__all__ = ['SyntheticSource', 'CameraSource', 'Packetizer', 'packetize', 'read_packets',
           'open_source', 'looping',
           'SOURCE_KINDS']

SOURCE_KINDS = ('synthetic', 'camera', 'file', 'aedat4', 'rosbag')


class SyntheticSource:
    """A scene rendered through the DVS simulator, frame by frame, for ``duration_s`` or ever."""

    live = False

    def __init__(self, sensor: SensorSize = SensorSize(128, 128), *, scene=None,
                 params: DvsParams = DvsParams(), frame_period_us: int = 1000,
                 duration_s: float | None = None, seed: int = 0) -> None:
        self.sensor = sensor
        self.scene = scene or MovingBarsScene(sensor)
        self.params = params
        self.frame_period_us = frame_period_us
        self.duration_s = duration_s
        self.seed = seed

    def __iter__(self) -> Iterator[np.ndarray]:
        sim = DvsSimulator(self.sensor, self.params, rng=self.seed)
        sim.reset(self.scene.frame(0.0), 0)
        k = 1
        while self.duration_s is None or k * self.frame_period_us <= self.duration_s * 1e6:
            t_us = k * self.frame_period_us
            yield sim.step(self.scene.frame(t_us * 1e-6), t_us)
            k += 1


class CameraSource:
    """A live DVS through dv-processing (DVS128, DAVIS, DVXplorer ...)."""

    live = True

    def __init__(self, serial: str = '') -> None:
        import dv_processing as dv
        try:
            found = dv.io.camera.discover()
        except RuntimeError as err:
            raise EventSourceError(f'cannot enumerate USB cameras: {err}') from err
        if not found:
            raise EventSourceError('no event camera connected (dv-processing found none); '
                                   'check the USB cable and udev rules')
        try:
            self.camera = dv.io.camera.open(serial) if serial else dv.io.camera.open()
        except (RuntimeError, IndexError) as err:
            raise EventSourceError(f'cannot open camera {serial or "(first found)"}: '
                                   f'{err}') from err
        if not self.camera.isEventStreamAvailable():
            raise EventSourceError(f'camera {self.camera.getCameraName()} has no event stream')
        width, height = self.camera.getEventResolution()
        self.sensor = SensorSize(int(width), int(height))

    def __iter__(self) -> Iterator[np.ndarray]:
        while True:
            if not self.camera.isRunning():
                raise EventSourceError(f'camera {self.camera.getCameraName()} stopped '
                                       f'(unplugged?)')
            batch = self.camera.getNextEventBatch()
            yield batch.numpy().copy() if batch is not None else concatenate([])


def open_source(kind: str, *, path: str = '', sensor: SensorSize = SensorSize(128, 128),
                topic: str | None = None, group: str | None = None, format: str = 'auto',
                serial: str = '', seed: int = 0):
    """The source named by the driver's ``source`` parameter.

    ``file`` reads any recording :mod:`hybrid_perception.io.recordings` reads (``format``:
    recognised by content unless named), with ``sensor`` for files that give no size;
    ``aedat4`` and ``rosbag`` insist on that format.
    """
    if kind == 'synthetic':
        return SyntheticSource(sensor, seed=seed)
    if kind == 'camera':
        return CameraSource(serial)
    if kind in ('file', 'aedat4', 'rosbag'):
        if not path:
            raise EventSourceError(f"source '{kind}' needs a path")
        if not Path(path).exists():
            raise EventSourceError(f'{path}: no such file or directory')
        return open_recording(path, format=format if kind == 'file' else kind, sensor=sensor,
                              topic=topic or None, group=group or None)
    raise EventSourceError(f'unknown source {kind!r}; choose one of {", ".join(SOURCE_KINDS)}')


def looping(open_pass: Callable[[], Iterable[np.ndarray]], loop: bool) -> Iterator[np.ndarray]:
    """Chunks of one pass, or of endless passes shifted so time keeps increasing."""
    next_start: int | None = None
    while True:
        offset: int | None = None
        for chunk in open_pass():
            if chunk.size == 0:
                yield chunk
                continue
            if offset is None:
                offset = 0 if next_start is None else next_start - int(chunk['timestamp'][0])
            if offset:
                chunk = chunk.copy()
                chunk['timestamp'] += offset
            next_start = int(chunk['timestamp'][-1]) + 1
            yield chunk
        if not loop or offset is None:  # an empty file would loop forever doing nothing
            return


class Packetizer:
    """Cuts a time-sorted event stream into packets of fixed, aligned time windows.

    Packet k holds the events of [k*period, (k+1)*period); a packet is emitted as soon as an
    event of a later window arrives (or on :meth:`flush`), so a packet is always complete.
    """

    def __init__(self, period_us: int) -> None:
        if period_us <= 0:
            raise ValueError(f'packet period must be positive, got {period_us} µs')
        self.period_us = period_us
        self._pending: list[np.ndarray] = []    # events of one window, not yet complete
        self._window: int | None = None         # that window's number

    def push(self, events: np.ndarray) -> list[tuple[int, np.ndarray]]:
        """Add sorted events; return the completed packets as (window start µs, events)."""
        if events.size == 0:
            return []
        t = events['timestamp']
        first, last = int(t[0]) // self.period_us, int(t[-1]) // self.period_us
        if first == last and (self._window is None or first >= self._window):
            # the usual chunk (a recording's or a camera's packet): one window, no cutting
            done = []
            if self._pending and first > self._window:
                done = [self._packet(concatenate(self._pending))]
                self._pending = []
            self._pending.append(events)
            self._window = first
            return done
        self._pending.append(events)
        stream = concatenate(self._pending)
        t = stream['timestamp']
        first, last = int(t[0]) // self.period_us, int(t[-1]) // self.period_us
        bounds = np.arange(first + 1, last + 1, dtype=np.int64) * self.period_us
        pieces = np.split(stream, np.searchsorted(t, bounds, side='left'))
        self._pending, self._window = [pieces[-1]], last
        return [self._packet(p) for p in pieces[:-1] if p.size]

    def flush(self) -> list[tuple[int, np.ndarray]]:
        """The last, partial packet (end of stream)."""
        stream = concatenate(self._pending)
        self._pending, self._window = [], None
        return [self._packet(stream)] if stream.size else []

    def _packet(self, events: np.ndarray) -> tuple[int, np.ndarray]:
        return int(events['timestamp'][0]) // self.period_us * self.period_us, events


def packetize(chunks: Iterable[np.ndarray], period_us: int) -> Iterator[tuple[int, np.ndarray]]:
    """All packets of a finite chunk stream, the last partial one included."""
    packetizer = Packetizer(period_us)
    for chunk in chunks:
        yield from packetizer.push(chunk)
    yield from packetizer.flush()


def read_packets(bag: str | Path, topic: str | None, period_us: int
                 ) -> list[tuple[int, np.ndarray]]:
    """A bag's events on ``topic`` (None: the first PointCloud2 or EventPacket topic) as
    aligned packets of ``period_us``, read whole: what an evaluation replays."""
    reader = EventBagReader(bag, topic=topic)
    try:
        return list(packetize([concatenate(list(reader))], period_us))
    finally:
        reader.close()
