"""What H1 and H2 share: where shipped models live and how a name finds one, the SNN backends,
a recording's chunks fitted into a model's input, event packets cut into complete input windows,
and the latency summary of a live run."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from hybrid_perception.events.array import (
    EventSanitizer,
    SensorSize,
    concatenate,
    empty_events,
)
from hybrid_perception.events.fitting import SensorFit
from hybrid_perception.events.representations import to_spike_tensor
from hybrid_perception.networks.snn import DEFAULT_SNN_BACKEND, SNN_BACKENDS

__all__ = ['DEFAULT_SNN_BACKEND', 'MODELS_DIR', 'SNN_BACKENDS', 'EventWindows', 'FittedInput',
           'Window', 'latency_summary', 'model_folder', 'shipped_models']

#: Trained models shipped with the package (``models/<task>/<kind>``, ``models/pose``).
MODELS_DIR = Path(__file__).resolve().parents[1] / 'models'



def shipped_models() -> list[str]:
    """The names of the shipped models (``gesture/hybrid``, ``pose``, ...)."""
    return sorted(str(p.parent.relative_to(MODELS_DIR)) for p in MODELS_DIR.rglob('model.yaml'))


def model_folder(name_or_path: str | Path) -> Path:
    """A shipped model's folder by its name (:func:`shipped_models`), else the folder at that
    path. A name always means the shipped model, even where the working directory holds a
    folder of that name (``./pose`` names that folder); so a parameter cannot be steered to
    another model by what happens to lie where a node was started."""
    text = str(name_or_path)
    if text in shipped_models():
        return MODELS_DIR / text
    return Path(name_or_path)


@dataclass(frozen=True)
class Window:
    start_us: int
    end_us: int
    spikes: np.ndarray   # (I, C, H, W) binary input spikes


class FittedInput:
    """A recording's chunks as a live node receives them: the driver's checks (events off the
    sensor or back in time dropped), then the fit of the camera into the model's input
    (events outside the region counted in :attr:`cropped`)."""

    def __init__(self, sensor: SensorSize, target: SensorSize,
                 roi: tuple[int, int, int, int] | None = None, downsample: int = 0) -> None:
        self.sanitizer = EventSanitizer(sensor)
        self.fit = SensorFit(sensor, target, roi, downsample)
        self.cropped = 0

    def __call__(self, events: np.ndarray) -> list[tuple[np.ndarray, int]]:
        """(events, stamp µs) pieces for a window cutter's ``push``: the fitted events from
        the chunk's first time, then none at its last, so time moves on to the chunk's last
        event even where the region cropped it. No pieces for a chunk with nothing left."""
        events, _ = self.sanitizer(events)
        if events.size == 0:
            return []
        first, last = int(events['timestamp'][0]), int(events['timestamp'][-1])
        events, cropped = self.fit(events)
        self.cropped += cropped
        return [(events, first), (events[:0], last)]


def between_silences(events: np.ndarray, stamp_us: int, max_gap_us: int
                     ) -> list[tuple[np.ndarray, int]]:
    """A packet's (events, stamp) pieces between silences longer than ``max_gap_us``, each
    stamped with its first event (the first with ``stamp_us``). A cutter takes them one by one,
    so a silence inside a packet starts the stream over as one between packets does: a wild
    timestamp (a corrupt packet, a clock that jumped) cannot make one packet cut windows for
    all the time it spans (an hour of 10 ms steps, minutes of compute)."""
    t = events['timestamp']
    if not t.size or (int(t[-1]) - int(t[0]) <= max_gap_us
                      and int(t[0]) - stamp_us <= max_gap_us):
        return [(events, stamp_us)]        # the usual packet: in order, shorter than a gap
    silences = np.flatnonzero(np.diff(t, prepend=stamp_us) > max_gap_us)
    if not silences.size:
        return [(events, stamp_us)]
    late_start = bool(silences[0] == 0)     # stamped long before its first event
    bounds = [0, *silences[int(late_start):].tolist(), t.size]
    pieces = [(events[a:b], int(t[a]) if a or late_start else stamp_us)
              for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    return [(events[:0], stamp_us), *pieces] if late_start else pieces


@dataclass
class EventWindows:
    """Event packets -> complete input windows of ``n_bins`` bins of ``bin_us``.

    A window is complete once the stream has moved past its end (an event or packet stamp at
    or after it): packets arrive in time order, so nothing more can land in it. A silence
    longer than ``max_gap_us`` is not filled with empty windows; the stream restarts after
    it, or when time goes back by more than that (a new stream: a driver restarted), and
    :attr:`restarts` counts it, so the caller can reset the state it keeps.

    Windows start on multiples of ``align_us`` (0: of their length): cut one bin at a time
    (``n_bins`` 1, ``align_us`` the length of the caller's window), a stream's bins start where
    its windows would, so the caller can run each bin as it completes and still group them
    into the windows every other process cuts.
    """

    sensor: SensorSize
    bin_us: int
    n_bins: int
    downsample: int = 1
    max_gap_us: int = 1_000_000
    align_us: int = 0
    restarts: int = field(default=0, init=False)
    late_events: int = field(default=0, init=False)
    _start: int | None = field(default=None, init=False)
    _pending: list[np.ndarray] = field(default_factory=list, init=False)

    @property
    def window_us(self) -> int:
        return self.bin_us * self.n_bins

    def push(self, events: np.ndarray, stamp_us: int) -> list[Window]:
        """Add one packet (events in time order, none before ``stamp_us``)."""
        return [w for piece, stamp in between_silences(events, stamp_us, self.max_gap_us)
                for w in self._push(piece, stamp)]

    def _push(self, events: np.ndarray, stamp_us: int) -> list[Window]:
        horizon = max(stamp_us, int(events['timestamp'][-1]) if events.size else stamp_us)
        if (self._start is None or horizon - self._start > self.max_gap_us + self.window_us
                or horizon < self._start - self.max_gap_us):
            if self._start is not None:
                self.restarts += 1
            align = self.align_us or self.window_us
            self._start = min(stamp_us, horizon) // align * align
            self._pending = []
        late = events['timestamp'] < self._start
        if late.any():
            self.late_events += int(late.sum())
            events = events[~late]
        self._pending.append(events)
        windows = []
        while horizon >= self._start + self.window_us:
            windows.append(self._cut())
        return windows

    def _cut(self) -> Window:
        stream = concatenate(self._pending) if self._pending else empty_events()
        end = self._start + self.window_us
        split = int(np.searchsorted(stream['timestamp'], end, side='left'))
        spikes = to_spike_tensor(stream[:split], self.sensor, t_start_us=self._start,
                                 bin_us=self.bin_us, n_bins=self.n_bins,
                                 downsample=self.downsample, binary=True)
        window = Window(self._start, end, spikes)
        self._pending = [stream[split:]]
        self._start = end
        return window


def latency_summary(seconds: Sequence[float]) -> dict[str, float]:
    if not len(seconds):
        return {'p50': float('nan'), 'p99': float('nan'), 'n': 0}
    p50, p99 = np.percentile(np.asarray(seconds) * 1e3, [50, 99])
    return {'p50': float(p50), 'p99': float(p99), 'n': len(seconds)}
