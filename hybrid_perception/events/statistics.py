"""What a stream of events looks like: counts, time span, rate over time, polarity balance,
events off the sensor or back in time, and hot pixels; accumulated chunk by chunk, so a
recording of any length is summarised in bounded memory (``inspect`` prints and plots it)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from hybrid_perception.events.array import SensorSize

__all__ = ['EventStatistics']


@dataclass
class EventStatistics:
    """Running statistics of one stream; :meth:`add` each chunk, in order."""

    sensor: SensorSize
    bin_us: int = 10_000
    events: int = 0
    on: int = 0
    off_sensor: int = 0
    backwards: int = 0
    first_us: int | None = None
    last_us: int | None = None
    counts: np.ndarray = field(init=False)
    _rate: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.counts = np.zeros((self.sensor.height, self.sensor.width), np.int64)
        self._rate = np.zeros(0, np.int64)

    def add(self, chunk: np.ndarray) -> None:
        if chunk.size == 0:
            return
        t = chunk['timestamp']
        if self.first_us is None:
            self.first_us = int(t[0])
        before = np.concatenate(([self.last_us if self.last_us is not None else t[0]], t[:-1]))
        self.backwards += int(np.count_nonzero(t < before))
        self.last_us = max(self.last_us or int(t[0]), int(t.max()))
        self.events += chunk.size
        self.on += int(np.count_nonzero(chunk['polarity'] > 0))
        x, y = chunk['x'].astype(np.int64), chunk['y'].astype(np.int64)
        inside = (x >= 0) & (x < self.sensor.width) & (y >= 0) & (y < self.sensor.height)
        self.off_sensor += int(np.count_nonzero(~inside))
        np.add.at(self.counts, (y[inside], x[inside]), 1)
        bins = np.maximum(t - self.first_us, 0) // self.bin_us
        per_bin = np.bincount(bins)
        if per_bin.size > self._rate.size:
            self._rate = np.concatenate((self._rate, np.zeros(per_bin.size - self._rate.size,
                                                              np.int64)))
        self._rate[:per_bin.size] += per_bin

    @property
    def duration_s(self) -> float:
        return 0.0 if self.first_us is None else (self.last_us - self.first_us) * 1e-6

    @property
    def rate_per_s(self) -> np.ndarray:
        """Events per second in each ``bin_us`` window from the first event."""
        return self._rate * (1e6 / self.bin_us)

    def hot_pixels(self, top: int | None = 5, sigmas: float = 5.0) -> list[tuple[int, int, int]]:
        """(x, y, events) of the busiest pixels (``top`` of them; None: all) lying ``sigmas``
        standard deviations above the mean of the pixels that fired at all: stuck or
        flickering pixels."""
        active = self.counts[self.counts > 0]
        if active.size < 2:
            return []
        limit = active.mean() + sigmas * active.std()
        ys, xs = np.nonzero(self.counts > limit)
        order = np.argsort(self.counts[ys, xs])[::-1][:top]
        return [(int(xs[i]), int(ys[i]), int(self.counts[ys[i], xs[i]])) for i in order]

    def comparable(self) -> dict[str, float | None]:
        """Figures that depend on neither the sensor's size nor the recording's length, to
        hold one stream against another (``inspect --against``: a recording against the
        synthetic world the models trained on)."""
        pixels = self.sensor.width * self.sensor.height
        rate = self.rate_per_s
        busy = self.events / self.duration_s / pixels if self.duration_s else None
        return {
            'events_per_pixel_s': busy,
            'peak_events_per_pixel_s': float(rate.max()) / pixels if rate.size else None,
            'rate_variation': float(rate.std() / rate.mean()) if rate.size and rate.mean()
            else None,
            'on_fraction': self.on / self.events if self.events else None,
            'active_pixel_share': int(np.count_nonzero(self.counts)) / pixels,
            'hot_pixel_share': len(self.hot_pixels(top=None)) / pixels,
        }

    def summary(self) -> dict:
        rate = self.rate_per_s
        return {
            'events': self.events, 'sensor': f'{self.sensor.width}x{self.sensor.height}',
            'first_us': self.first_us, 'last_us': self.last_us,
            'duration_s': round(self.duration_s, 6),
            'mean_rate_ev_s': round(self.events / self.duration_s, 1) if self.duration_s else None,
            'peak_rate_ev_s': float(rate.max()) if rate.size else None,
            'on_fraction': round(self.on / self.events, 4) if self.events else None,
            'active_pixels': int(np.count_nonzero(self.counts)),
            'off_sensor': self.off_sensor, 'backwards_in_time': self.backwards,
            'hot_pixels': self.hot_pixels(),
        }
