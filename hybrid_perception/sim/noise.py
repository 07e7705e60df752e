"""Sensor noise alone: what a DVS reports of a dark or perfectly still scene.

Background activity is, to first order, independent per pixel and in time (a Poisson process
of ~0.1-1 events/s a pixel on a DAVIS346 indoors, more in the dark), with random polarity: the
simplest input a classifier must not name (#22: the first H1 models called it
``hand_clapping (0.99)``).
"""

from __future__ import annotations

import numpy as np

from hybrid_perception.events.array import EVENT_DTYPE, SensorSize

__all__ = ['uniform_noise']


def uniform_noise(sensor: SensorSize, rate_hz: float, duration_us: int,
                  rng: np.random.Generator) -> np.ndarray:
    """``rate_hz`` events a second over the whole sensor for ``duration_us``, every pixel,
    time and polarity equally likely, in time order."""
    n = int(rng.poisson(rate_hz * duration_us * 1e-6))
    events = np.empty(n, EVENT_DTYPE)
    events['timestamp'] = np.sort(rng.integers(0, duration_us, n))
    events['x'] = rng.integers(0, sensor.width, n)
    events['y'] = rng.integers(0, sensor.height, n)
    events['polarity'] = rng.integers(0, 2, n)
    return events
