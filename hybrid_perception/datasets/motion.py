"""Synthetic labelled event clips, rendered through the DVS simulator.

Real datasets (DVS Gesture, DHP19) cannot be downloaded here, so training and tests use clips
whose label is a motion the simulator turns into events: a bright square on a textured
background moving in one of four directions. It needs temporal features to classify, which is
what an SNN is for, and it is small enough to train on a CPU in seconds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from tqdm import tqdm

from hybrid_perception.events.array import SensorSize, concatenate
from hybrid_perception.events.representations import to_spike_tensor
from hybrid_perception.sim.simulator import DvsParams, DvsSimulator

__all__ = ['MOTION_CLASSES', 'MovingSquareClips', 'motion_clips_for']

MOTION_CLASSES = ('right', 'left', 'down', 'up')
_VELOCITY = {'right': (1, 0), 'left': (-1, 0), 'down': (0, 1), 'up': (0, -1)}


@dataclass(frozen=True)
class MovingSquareClips:
    """Clips of (n_bins, 2, H, W) spikes; the label indexes :data:`MOTION_CLASSES`."""

    sensor: SensorSize = SensorSize(32, 32)
    n_bins: int = 20
    bin_us: int = 5000
    speed_px_s: float = 120.0
    square_px: tuple[int, int] = (6, 11)
    frame_period_us: int = 1000
    params: DvsParams = DvsParams(shot_noise_hz=2.0)

    def clip(self, label: int, rng: np.random.Generator) -> np.ndarray:
        """One clip of class ``label``: random size, start, texture and sensor mismatch."""
        h, w = self.sensor.height, self.sensor.width
        size = int(rng.integers(*self.square_px))
        start = rng.uniform([0, 0], [w - size, h - size])
        velocity = self.speed_px_s * np.asarray(_VELOCITY[MOTION_CLASSES[label]], float)
        background = 0.2 + 0.15 * rng.random((h, w))
        y, x = np.mgrid[0:h, 0:w]

        def frame(t_s: float) -> np.ndarray:
            x0, y0 = (start + velocity * t_s) % [w, h]
            inside = (((x - x0) % w) < size) & (((y - y0) % h) < size)
            return np.where(inside, 0.9, background)

        sim = DvsSimulator(self.sensor, self.params, rng=rng)
        sim.reset(frame(0.0), 0)
        steps = self.n_bins * self.bin_us // self.frame_period_us
        events = concatenate([sim.step(frame(k * self.frame_period_us * 1e-6),
                                       k * self.frame_period_us) for k in range(1, steps + 1)])
        return to_spike_tensor(events, self.sensor, t_start_us=0, bin_us=self.bin_us,
                               n_bins=self.n_bins, binary=True)

    def generate(self, n: int, seed: int = 0, *,
                 progress: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """``n`` clips with balanced labels: (n, T, 2, H, W) float32 and (n,) int64."""
        rng = np.random.default_rng(seed)
        labels = np.arange(n) % len(MOTION_CLASSES)
        rng.shuffle(labels)
        clips = np.zeros((n, self.n_bins, 2, self.sensor.height, self.sensor.width), np.float32)
        for i, label in enumerate(tqdm(labels, desc='simulating clips', unit='clip',
                                       disable=not progress, leave=False)):
            clips[i] = self.clip(int(label), rng)
        return clips, labels.astype(np.int64)


def motion_clips_for(input_shape: tuple[int, ...]) -> MovingSquareClips:
    """The motion clips, if a network takes their shape (they are what the motion SNN is
    trained and run on)."""
    dataset = MovingSquareClips()
    shape = (2, dataset.sensor.height, dataset.sensor.width)
    if tuple(input_shape) != shape:
        raise ValueError(f'the motion clips are {shape}; the network takes {input_shape}')
    return dataset
