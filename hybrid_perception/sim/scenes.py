"""Synthetic intensity scenes for the DVS simulator: what the default driver source shows.

A scene is a function of time returning a (H, W) float frame in [0, 1]; anything with
``frame(t_s)`` can drive :class:`~hybrid_perception.io.sources.SyntheticSource`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hybrid_perception.events.array import SensorSize

__all__ = ['MovingBarsScene', 'MovingEdgeScene']


@dataclass(frozen=True)
class MovingEdgeScene:
    """A dark/bright vertical edge sweeping right at ``speed_px_s`` (wraps around)."""

    sensor: SensorSize
    speed_px_s: float = 200.0
    dark: float = 0.1
    bright: float = 0.9
    softness_px: float = 1.0

    def frame(self, t_s: float) -> np.ndarray:
        x = np.arange(self.sensor.width, dtype=np.float64)
        position = (self.speed_px_s * t_s) % self.sensor.width
        ramp = np.clip((position - x) / self.softness_px + 0.5, 0.0, 1.0)
        row = self.dark + (self.bright - self.dark) * ramp
        return np.broadcast_to(row, (self.sensor.height, self.sensor.width))


@dataclass(frozen=True)
class MovingBarsScene:
    """Rotating stripes plus a circling blob: motion in every direction, all pixels busy."""

    sensor: SensorSize
    stripe_period_px: float = 24.0
    rotation_hz: float = 0.25
    drift_px_s: float = 60.0
    blob_radius_px: float = 10.0
    blob_orbit_hz: float = 0.5

    def frame(self, t_s: float) -> np.ndarray:
        h, w = self.sensor.height, self.sensor.width
        y, x = np.mgrid[0:h, 0:w].astype(np.float64)
        angle = 2 * np.pi * self.rotation_hz * t_s
        u = x * np.cos(angle) + y * np.sin(angle) + self.drift_px_s * t_s
        stripes = 0.5 + 0.35 * np.sin(2 * np.pi * u / self.stripe_period_px)
        orbit = 2 * np.pi * self.blob_orbit_hz * t_s
        cx, cy = w / 2 + 0.3 * w * np.cos(orbit), h / 2 + 0.3 * h * np.sin(orbit)
        blob = np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * self.blob_radius_px ** 2))
        return np.clip(stripes * (1 - blob) + 0.95 * blob, 0.0, 1.0)
