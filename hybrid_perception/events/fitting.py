"""Any sensor into a model's input: a region of interest, integer down-sampling, centring.

Models are trained at one input size (128x128 here); cameras come at 240x180, 346x260,
640x480, 1280x720. Events are mapped, not resized: the region of interest is cut out, every
``scale`` x ``scale`` block of pixels becomes one (as DVS binning hardware does, so polarity
and timing stay events), and the result is centred in the model's input. Events outside the
region are *cropped*, a choice of the configuration, and counted apart from bad input. A model
trained on one camera's crop (DHP19's DAVIS346, cut to 256x256) carries it as a
:class:`CameraCrop`, the region used when that camera comes and none is configured.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from hybrid_perception.events.array import SensorSize, select

__all__ = ['CameraCrop', 'SensorFit']


@dataclass(frozen=True)
class CameraCrop:
    """The region of a ``sensor``-sized camera a model was trained on."""

    sensor: SensorSize
    roi: tuple[int, int, int, int]

    def roi_for(self, camera: SensorSize) -> tuple[int, int, int, int] | None:
        """The region to use on ``camera``: this one on the camera it was made for."""
        return self.roi if camera == self.sensor else None


@dataclass(frozen=True)
class SensorFit:
    """Maps events of a ``sensor`` into a model's ``target`` input.

    ``roi`` is (x, y, width, height) on the sensor (None: the whole sensor); ``scale`` the
    down-sampling factor (0: the smallest that fits the region into the target).
    """

    sensor: SensorSize
    target: SensorSize
    roi: tuple[int, int, int, int] | None = None
    scale: int = 0

    def __post_init__(self) -> None:
        x, y, w, h = self.region
        if w <= 0 or h <= 0 or x < 0 or y < 0 or x + w > self.sensor.width \
                or y + h > self.sensor.height:
            raise ValueError(f'region of interest {self.region} is not inside the '
                             f'{self.sensor.width}x{self.sensor.height} sensor')
        if self.scale < 0:
            raise ValueError(f'scale must be >= 0 (0: fit), got {self.scale}')
        if self.fitted.width > self.target.width or self.fitted.height > self.target.height:
            raise ValueError(f'a {w}x{h} region down-sampled {self.factor}x is '
                             f'{self.fitted.width}x{self.fitted.height}, larger than the '
                             f'model\'s {self.target.width}x{self.target.height} input')

    @property
    def region(self) -> tuple[int, int, int, int]:
        return self.roi or (0, 0, self.sensor.width, self.sensor.height)

    @property
    def factor(self) -> int:
        """The down-sampling actually applied."""
        _, _, w, h = self.region
        return self.scale or max(1, math.ceil(w / self.target.width),
                                 math.ceil(h / self.target.height))

    @property
    def fitted(self) -> SensorSize:
        """The region's size after down-sampling."""
        _, _, w, h = self.region
        return SensorSize(-(-w // self.factor), -(-h // self.factor))

    @property
    def offset(self) -> tuple[int, int]:
        """Where the fitted region's corner lands in the target (centred)."""
        return ((self.target.width - self.fitted.width) // 2,
                (self.target.height - self.fitted.height) // 2)

    @property
    def identity(self) -> bool:
        return self.region == (0, 0, self.target.width, self.target.height) \
            and self.factor == 1

    def to_camera(self, points: np.ndarray) -> np.ndarray:
        """(..., 2) pixel positions (x, y) in the model's input -> on the camera: what a pose
        estimated on the fitted input means for the camera's calibration (the centre of
        each binned block)."""
        x0, y0, _, _ = self.region
        ox, oy = self.offset
        out = np.array(points, dtype=np.float64, copy=True)
        out[..., 0] = (out[..., 0] - ox) * self.factor + x0 + (self.factor - 1) / 2
        out[..., 1] = (out[..., 1] - oy) * self.factor + y0 + (self.factor - 1) / 2
        return out

    def to_model(self, points: np.ndarray) -> np.ndarray:
        """The inverse of :meth:`to_camera`: (..., 2) camera pixels in the model's input (a
        camera's labelled joints as the model is trained to give them)."""
        x0, y0, _, _ = self.region
        ox, oy = self.offset
        out = np.array(points, dtype=np.float64, copy=True)
        out[..., 0] = (out[..., 0] - x0 - (self.factor - 1) / 2) / self.factor + ox
        out[..., 1] = (out[..., 1] - y0 - (self.factor - 1) / 2) / self.factor + oy
        return out

    def __str__(self) -> str:
        x, y, w, h = self.region
        ox, oy = self.offset
        return (f'{self.sensor.width}x{self.sensor.height} camera, region {w}x{h} at ({x}, {y}), '
                f'{self.factor}x down-sampled, at ({ox}, {oy}) of the model\'s '
                f'{self.target.width}x{self.target.height} input')

    def __call__(self, events: np.ndarray) -> tuple[np.ndarray, int]:
        """The events in the target's coordinates, and how many fell outside the region.

        Events off the sensor itself are left where they are, for the sanitizer to drop and
        count as bad input."""
        if self.identity:
            return events, 0
        x0, y0, w, h = self.region
        x, y = events['x'].astype(np.int64), events['y'].astype(np.int64)
        on_sensor = (x >= 0) & (x < self.sensor.width) & (y >= 0) & (y < self.sensor.height)
        inside = (x >= x0) & (x < x0 + w) & (y >= y0) & (y < y0 + h)
        keep = inside | ~on_sensor
        cropped = int(np.count_nonzero(~keep))
        out = select(events, keep) if cropped else events.copy()
        moved = inside[keep]
        ox, oy = self.offset
        out['x'][moved] = (out['x'][moved] - x0) // self.factor + ox
        out['y'][moved] = (out['y'][moved] - y0) // self.factor + oy
        # off-sensor events must stay off the target too, whatever their raw coordinates
        out['x'][~moved] = -1
        return out, cropped
