"""A DVS pixel-array simulator: intensity frames in, events out.

The standard pixel model (as in ESIM and v2e): each pixel remembers the log intensity at its
last event; whenever the current log intensity departs from that reference by a contrast
threshold, the pixel emits an event of that sign and moves its reference by one threshold.
Between two frames the log intensity is interpolated linearly, so the k-th crossing gets its
own timestamp. Per-pixel thresholds differ (mismatch); after an event a pixel is blind for a
refractory period; shot noise and hot pixels add events that carry no signal.

Everything is vectorised over pixels and crossings (one ``np.repeat`` expansion per frame);
:mod:`hybrid_perception.sim.reference` holds the same model as a per-pixel loop, which the
tests hold this implementation to.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hybrid_perception.events.array import EVENT_DTYPE, SensorSize, concatenate, select

__all__ = ['DvsParams', 'DvsSimulator', 'log_intensity']


@dataclass(frozen=True)
class DvsParams:
    """Pixel model parameters; thresholds are in natural-log intensity units."""

    threshold_on: float = 0.2
    threshold_off: float = 0.2
    threshold_mismatch: float = 0.02   # std of the per-pixel thresholds
    min_threshold: float = 0.01        # mismatch never makes a threshold smaller than this
    refractory_us: float = 100.0
    shot_noise_hz: float = 0.0         # spurious events per pixel per second (random sign)
    hot_pixel_fraction: float = 0.0    # share of pixels that fire regardless of the scene
    hot_pixel_hz: float = 1000.0       # rate of each hot pixel (fixed sign per pixel)
    log_eps: float = 1e-3              # log(I + eps): a dark pixel has a finite log intensity


def log_intensity(frame: np.ndarray, eps: float) -> np.ndarray:
    """Log intensity of a frame in [0, 1] (float) or [0, 255] (uint8)."""
    frame = np.asarray(frame)
    scale = 1.0 / 255.0 if frame.dtype == np.uint8 else 1.0
    return np.log(frame.astype(np.float64) * scale + eps)


class DvsSimulator:
    """Stateful simulator: ``reset(frame, t)`` once, then ``step(frame, t)`` per frame.

    Random parts (threshold mismatch, noise) come from the seeded generator it is given, so a
    simulation is reproducible.
    """

    def __init__(self, sensor: SensorSize, params: DvsParams = DvsParams(),
                 rng: np.random.Generator | int | None = 0) -> None:
        self.sensor = sensor
        self.params = params
        self.rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
        n = sensor.width * sensor.height
        p = params
        self.threshold_on = np.maximum(
            p.threshold_on + p.threshold_mismatch * self.rng.standard_normal(n), p.min_threshold)
        self.threshold_off = np.maximum(
            p.threshold_off + p.threshold_mismatch * self.rng.standard_normal(n), p.min_threshold)
        n_hot = int(round(p.hot_pixel_fraction * n))
        self.hot_pixels = self.rng.choice(n, size=n_hot, replace=False)
        self.hot_polarity = self.rng.integers(0, 2, size=n_hot).astype(np.int8)
        self.reference: np.ndarray | None = None
        self.last_log: np.ndarray | None = None
        self.last_t_us = 0
        self.last_event_us = np.full(n, -np.inf)

    def reset(self, frame: np.ndarray, t_us: int) -> None:
        """Start from ``frame`` at ``t_us``: no events, every reference at the frame's level."""
        self.reference = self._flat_log(frame)
        self.last_log = self.reference.copy()
        self.last_t_us = int(t_us)
        self.last_event_us[:] = -np.inf

    def step(self, frame: np.ndarray, t_us: int) -> np.ndarray:
        """Events in (last frame time, ``t_us``], sorted by timestamp."""
        if self.reference is None:
            self.reset(frame, t_us)
            return np.zeros(0, dtype=EVENT_DTYPE)
        t_us = int(t_us)
        dt = t_us - self.last_t_us
        if dt <= 0:
            raise ValueError(f'frame time {t_us} µs is not after the previous one '
                             f'({self.last_t_us} µs)')
        log_now = self._flat_log(frame)
        chunks = [self._signal_events(log_now, dt), *self._noise_events(dt)]
        self.last_log = log_now
        self.last_t_us = t_us
        events = concatenate(chunks)
        return select(events, np.argsort(events['timestamp'], kind='stable'))

    def _flat_log(self, frame: np.ndarray) -> np.ndarray:
        if frame.shape[:2] != (self.sensor.height, self.sensor.width):
            raise ValueError(f'frame shape {frame.shape} does not match the sensor '
                             f'{self.sensor.height}x{self.sensor.width}')
        return log_intensity(frame, self.params.log_eps).reshape(-1)

    def _signal_events(self, log_now: np.ndarray, dt: int) -> np.ndarray:
        diff = log_now - self.reference
        threshold = np.where(diff >= 0, self.threshold_on, self.threshold_off)
        n_cross = np.floor(np.abs(diff) / threshold).astype(np.int64)
        pixels = np.flatnonzero(n_cross)
        if pixels.size == 0:
            return np.zeros(0, dtype=EVENT_DTYPE)
        n = n_cross[pixels]
        sign = np.sign(diff[pixels])
        c = threshold[pixels]
        ref = self.reference[pixels]
        slope = log_now[pixels] - self.last_log[pixels]
        # Crossing k (1-based) happens at a + k*b: linear interpolation of the log intensity.
        a = self.last_t_us + (ref - self.last_log[pixels]) / slope * dt
        b = sign * c / slope * dt
        first, step = self._refractory_schedule(a, b, self.last_event_us[pixels])
        kept = np.maximum(0, (n - first) // step + 1)
        total = int(kept.sum())
        self.reference[pixels] = ref + sign * n * c
        owner = np.repeat(np.arange(pixels.size), kept)
        rank = np.arange(total) - np.repeat(np.cumsum(kept) - kept, kept)
        k = first[owner] + rank * step[owner]
        times = a[owner] + k * b[owner]
        has = kept > 0
        last_k = first[has] + (kept[has] - 1) * step[has]
        self.last_event_us[pixels[has]] = a[has] + last_k * b[has]
        events = np.empty(total, dtype=EVENT_DTYPE)
        events['timestamp'] = np.floor(times)
        flat = pixels[owner]
        events['x'] = flat % self.sensor.width
        events['y'] = flat // self.sensor.width
        events['polarity'] = sign[owner] > 0
        return events

    def _refractory_schedule(self, a: np.ndarray, b: np.ndarray,
                             last_event: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """First crossing a pixel may fire at, and how many crossings apart it may fire.

        Equivalent to the greedy rule "fire when at least refractory_us after the last event"
        for evenly spaced crossings; the +-1 fix-up makes the first index agree exactly with a
        direct comparison of the crossing time.
        """
        refractory = self.params.refractory_us
        earliest = last_event + refractory
        with np.errstate(invalid='ignore'):
            first = np.ceil((earliest - a) / b)
        first = np.where(np.isfinite(first), first, 1).astype(np.int64)
        first = np.maximum(first, 1)
        earlier = (first > 1) & (a + (first - 1) * b >= earliest)
        first[earlier] -= 1
        first[a + first * b < earliest] += 1
        step = np.maximum(1, np.ceil(refractory / b)).astype(np.int64) if refractory > 0 \
            else np.ones_like(first)
        return first, step

    def _noise_events(self, dt: int) -> list[np.ndarray]:
        p = self.params
        chunks = []
        n_pixels = self.sensor.width * self.sensor.height
        if p.shot_noise_hz > 0:
            count = self.rng.poisson(p.shot_noise_hz * dt * 1e-6 * n_pixels)
            flat = self.rng.integers(0, n_pixels, size=count)
            chunks.append(self._events_at(flat, self.rng.integers(0, 2, size=count), dt))
        if self.hot_pixels.size:
            counts = self.rng.poisson(p.hot_pixel_hz * dt * 1e-6, size=self.hot_pixels.size)
            chunks.append(self._events_at(np.repeat(self.hot_pixels, counts),
                                          np.repeat(self.hot_polarity, counts), dt))
        return chunks

    def _events_at(self, flat: np.ndarray, polarity: np.ndarray, dt: int) -> np.ndarray:
        events = np.empty(flat.size, dtype=EVENT_DTYPE)
        events['timestamp'] = self.last_t_us + 1 + self.rng.integers(0, dt, size=flat.size)
        events['x'] = flat % self.sensor.width
        events['y'] = flat // self.sensor.width
        events['polarity'] = polarity
        return events
