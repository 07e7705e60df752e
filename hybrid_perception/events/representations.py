"""Dense tensors the networks consume, and a picture for people.

Two layers, as in tonic: a pure function per representation, and a frozen dataclass whose
fields are its configuration (composable, picklable, printable). All binning is one
``np.bincount`` over a flat index — no per-event Python.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hybrid_perception.events.array import SensorSize
from hybrid_perception.events.kernels import bin_events, columns

__all__ = [
    'to_spike_tensor', 'to_count_frame', 'render_bgr', 'SpikeTensor', 'CountFrame',
    'ON_BGR', 'OFF_BGR', 'BACKGROUND_BGR',
]

ON_BGR = (255, 128, 0)      # blue-ish: brightness increased
OFF_BGR = (0, 0, 255)       # red: brightness decreased
BACKGROUND_BGR = (255, 255, 255)


def _downsampled(sensor: SensorSize, downsample: int) -> tuple[int, int]:
    if downsample < 1:
        raise ValueError(f'downsample must be >= 1, got {downsample}')
    return -(-sensor.height // downsample), -(-sensor.width // downsample)


def to_spike_tensor(events: np.ndarray, sensor: SensorSize, *, t_start_us: int, bin_us: int,
                    n_bins: int, downsample: int = 1, binary: bool = False) -> np.ndarray:
    """Events of [t_start, t_start + n_bins*bin_us) as a (T, 2, H, W) float32 count tensor.

    Channel 0 is OFF, 1 is ON. ``downsample`` sums ``downsample x downsample`` pixel blocks
    (the seeds scale DVS128 down this way); ``binary`` clips counts to spikes (0/1), as an SNN
    input layer expects. Events outside the window are ignored.
    """
    if bin_us <= 0 or n_bins <= 0:
        raise ValueError(f'bin_us and n_bins must be positive, got {bin_us}, {n_bins}')
    h, w = _downsampled(sensor, downsample)
    counts = np.zeros(n_bins * 2 * h * w, dtype=np.float32)
    bin_events(*columns(events), t_start_us, bin_us, n_bins, downsample, h, w, counts)
    if binary:
        np.minimum(counts, 1.0, out=counts)
    return counts.reshape(n_bins, 2, h, w)


def to_count_frame(events: np.ndarray, sensor: SensorSize, *, downsample: int = 1) -> np.ndarray:
    """All events as one (2, H, W) float32 count frame (OFF, ON)."""
    h, w = _downsampled(sensor, downsample)
    index = ((events['polarity'] > 0) * h + events['y'] // downsample) * w \
        + events['x'] // downsample
    return np.bincount(index, minlength=2 * h * w).astype(np.float32).reshape(2, h, w)


def render_bgr(events: np.ndarray, sensor: SensorSize) -> np.ndarray:
    """An (H, W, 3) uint8 bgr8 picture: white background, ON blue, OFF red (last one wins)."""
    image = np.empty((sensor.height, sensor.width, 3), dtype=np.uint8)
    image[...] = BACKGROUND_BGR
    colours = np.array([OFF_BGR, ON_BGR], dtype=np.uint8)
    image[events['y'], events['x']] = colours[(events['polarity'] > 0).astype(np.intp)]
    return image


@dataclass(frozen=True)
class SpikeTensor:
    """Configured :func:`to_spike_tensor`; call with events and the window start."""

    sensor: SensorSize
    bin_us: int
    n_bins: int
    downsample: int = 1
    binary: bool = False

    def __call__(self, events: np.ndarray, t_start_us: int) -> np.ndarray:
        return to_spike_tensor(events, self.sensor, t_start_us=t_start_us, bin_us=self.bin_us,
                               n_bins=self.n_bins, downsample=self.downsample,
                               binary=self.binary)

    @property
    def window_us(self) -> int:
        return self.bin_us * self.n_bins


@dataclass(frozen=True)
class CountFrame:
    """Configured :func:`to_count_frame`."""

    sensor: SensorSize
    downsample: int = 1

    def __call__(self, events: np.ndarray) -> np.ndarray:
        return to_count_frame(events, self.sensor, downsample=self.downsample)
