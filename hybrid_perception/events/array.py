"""The one in-memory event representation, and the checks every incoming packet passes.

Events are a numpy structured array laid out exactly like dv-processing's ``EventStore.numpy()``
(timestamp int64 µs, x int16, y int16, polarity int8, 16-byte records), so arrays move between
our code and dv-processing without reformatting.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from hybrid_perception.events.kernels import check_records

__all__ = [
    'EVENT_DTYPE', 'SensorSize', 'DropCounts', 'EventSanitizer', 'make_events', 'empty_events',
    'concatenate', 'select',
]

EVENT_DTYPE = np.dtype({
    'names': ['timestamp', 'x', 'y', 'polarity'],
    'formats': ['<i8', '<i2', '<i2', 'i1'],
    'offsets': [0, 8, 10, 12],
    'itemsize': 16,
})


@dataclass(frozen=True)
class SensorSize:
    """Pixel array size; events must satisfy 0 <= x < width and 0 <= y < height."""

    width: int
    height: int

    def __post_init__(self) -> None:
        if self.width <= 0 or self.height <= 0 or self.width > 65535 or self.height > 65535:
            raise ValueError(f'sensor size must be within 1..65535, got {self.width}x{self.height}')


def empty_events(n: int = 0) -> np.ndarray:
    return np.zeros(n, dtype=EVENT_DTYPE)


def make_events(timestamp, x, y, polarity) -> np.ndarray:
    """Build an event array from column arrays (any integer/bool dtype)."""
    timestamp = np.asarray(timestamp)
    events = np.empty(timestamp.shape[0], dtype=EVENT_DTYPE)
    events['timestamp'] = timestamp
    events['x'] = x
    events['y'] = y
    events['polarity'] = polarity
    return events


# Copies go through the raw 16-byte records: numpy copies a padded structured dtype field by
# field, about 20x slower than moving the same bytes.
_RECORD = np.dtype((np.void, EVENT_DTYPE.itemsize))


def concatenate(chunks: list[np.ndarray]) -> np.ndarray:
    """One event array from several, copying raw records."""
    if len(chunks) <= 1:
        return chunks[0] if chunks else empty_events()
    out = empty_events(sum(c.size for c in chunks))
    np.concatenate([c.view(_RECORD) for c in chunks], out=out.view(_RECORD))
    return out


def select(events: np.ndarray, index: np.ndarray) -> np.ndarray:
    """``events[index]`` (mask or indices), copying raw records."""
    return events.view(_RECORD)[index].view(EVENT_DTYPE)


def moved(events: np.ndarray, dx: int, dy: int, width: int, height: int) -> np.ndarray:
    """The events as if the scene stood (dx, dy) px away on a ``width`` x ``height`` sensor:
    those that leave it are gone, as they would be for a person standing there."""
    x, y = events['x'].astype(np.int64) + dx, events['y'].astype(np.int64) + dy
    keep = (x >= 0) & (x < width) & (y >= 0) & (y < height)
    out = select(events, keep).copy()
    out['x'], out['y'] = x[keep], y[keep]
    return out


@dataclass
class DropCounts:
    """Events rejected by :class:`EventSanitizer`, by reason, since it was created."""

    out_of_bounds: int = 0
    backwards_in_time: int = 0

    @property
    def total(self) -> int:
        return self.out_of_bounds + self.backwards_in_time


@dataclass
class EventSanitizer:
    """Drops (and counts) events a downstream network must never see.

    Out-of-range pixel coordinates would index outside every tensor; timestamps earlier than
    an event already passed would break every time-binned representation. Rather than crash or
    silently reorder, offending events are dropped and counted, so a node can log and report
    them.
    """

    sensor: SensorSize
    last_timestamp: int = np.iinfo(np.int64).min
    drops: DropCounts = field(default_factory=DropCounts)
    #: a packet that starts more than this before the last event passed is a new stream (its
    #: driver restarted, the camera was reopened, a replay began again), not late events: it
    #: starts the order over, counted in :attr:`new_streams`. None: every event must go forward
    new_stream_us: int | None = None
    new_streams: int = 0

    def __call__(self, events: np.ndarray) -> tuple[np.ndarray, DropCounts]:
        """Return the clean events and the drops of *this* call."""
        keep = np.empty(events.shape[0], np.bool_)
        off, back, self.last_timestamp, restarted = check_records(
            np.ascontiguousarray(events).view(np.uint8), self.sensor.width, self.sensor.height,
            self.last_timestamp, -1 if self.new_stream_us is None else self.new_stream_us, keep)
        self.new_streams += restarted
        these = DropCounts(out_of_bounds=off, backwards_in_time=back)
        self.drops.out_of_bounds += off
        self.drops.backwards_in_time += back
        return (events if off + back == 0 else select(events, keep)), these
