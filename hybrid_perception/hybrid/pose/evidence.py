"""How much the events back each predicted joint: H2's per-joint confidence.

A regression head always answers 13 joints, also for a body part that is out of view or for a
person who is not there (#22: legs drawn below a person seen from the waist up). An event
camera sees only what moves, so the events themselves say where a body is: a joint drawn where
the last second left many more events than the frame's average is backed by the sensor, one
drawn over empty background or uniform noise is not. :class:`JointEvidence` keeps that recent
activity as a decaying map on the networks' grid (the spikes the SNN already takes) and scores
each joint by the activity around it against the whole frame's:

    confidence = r / (r + contrast),  r = density around the joint / (frame density + floor)

so it is 0.5 where the joint's neighbourhood is ``contrast`` times as busy as the frame, about
1 / (1 + contrast) for every joint on uniform noise, 0 off the sensor or on a silent sensor.
It judges the sensor's evidence, not the network: a body part that has not moved for a second
makes no events and fades out with a part out of view (on the synthetic test takes 45 % of the
true joint positions are backed at 0.5, the moving limbs; a waving person's head and hips are
not; benchmarks/pose_confidence.py). The frame's mean, not its median, is the reference: on a
quiet sensor most cells hold no event, and a median of 0 would back any stray event.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from hybrid_perception.events.array import SensorSize

__all__ = ['MIN_JOINT_CONFIDENCE', 'JointEvidence']

MIN_JOINT_CONFIDENCE = 0.5   # below it a joint is left out of what is drawn and triangulated


@dataclass
class JointEvidence:
    """Recent activity on a ``downsample``-pixel grid of ``sensor``, read around joints.

    ``memory_us`` is the activity's time constant, ``radius_px`` the half side of the square
    read around a joint (sensor pixels), ``floor`` an activity per cell added to the frame's
    so a nearly silent frame backs nothing.
    """

    sensor: SensorSize
    downsample: int
    memory_us: int = 1_000_000
    radius_px: float = 8.0
    contrast: float = 2.0
    floor: float = 0.02
    activity: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.activity = np.zeros((self.sensor.height // self.downsample,
                                  self.sensor.width // self.downsample), np.float64)

    def reset(self) -> None:
        self.activity[:] = 0.0

    def add(self, counts: np.ndarray, elapsed_us: int) -> None:
        """``elapsed_us`` more of the stream, whose events are ``counts`` (..., H, W) on the
        grid (spikes or histograms: every leading axis is summed)."""
        counts = np.asarray(counts)
        if counts.shape[-2:] != self.activity.shape:
            raise ValueError(f'evidence is kept on a {self.activity.shape} grid, got counts '
                             f'of shape {counts.shape}')
        self.activity *= np.exp(-elapsed_us / self.memory_us)
        self.activity += counts.reshape(-1, *self.activity.shape).sum(axis=0)

    def __call__(self, joints: np.ndarray) -> np.ndarray:
        """(J, 2) sensor pixels -> (J,) confidence in [0, 1]; 0 for a joint off the sensor."""
        joints = np.asarray(joints, np.float64)[:, :2]
        h, w = self.activity.shape
        frame = self.activity.mean() + self.floor
        radius = max(1, int(round(self.radius_px / self.downsample)))
        out = np.zeros(len(joints))
        cells = np.floor(joints / self.downsample)
        for j, (cx, cy) in enumerate(cells):
            if not (0 <= cx < w and 0 <= cy < h):
                continue
            cx, cy = int(cx), int(cy)
            box = self.activity[max(cy - radius, 0):cy + radius + 1,
                                max(cx - radius, 0):cx + radius + 1]
            ratio = box.mean() / frame
            out[j] = ratio / (ratio + self.contrast)
        return out
