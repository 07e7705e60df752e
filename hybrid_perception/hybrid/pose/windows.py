"""H2's training samples: what the initializer sees, what the SNN then sees, and the truth.

H2 runs in initialization windows (100 ms at the seed's 10 Hz). At a window's start the ANN
looks at the window before it (a 10-bin x 2-polarity histogram, the seed's ANN input) and sets
the SNN's state; the SNN then takes one bin of spikes per step (10 ms at 100 Hz, 5 ms at
200 Hz) and predicts the pose at the end of every step. The seed's ANN takes the last 7,500
events instead of the last 100 ms; we use the fixed duration, so what the ANN sees does not
depend on how busy the scene is (a difference from the seed, stated).
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import numpy as np

from hybrid_perception.datasets.people import SENSOR, PoseTake
from hybrid_perception.events.array import SensorSize
from hybrid_perception.events.representations import to_spike_tensor

__all__ = ['PoseSamples', 'PoseWindows', 'pose_at']


@dataclass(frozen=True)
class PoseWindows:
    """Cuts takes into initialization windows; pixels are down-sampled by ``downsample``."""

    rate_hz: int = 100
    window_us: int = 100_000
    ann_bins: int = 10
    downsample: int = 2
    sensor: SensorSize = SENSOR

    def __post_init__(self) -> None:
        if (1_000_000 % self.rate_hz or self.window_us % (1_000_000 // self.rate_hz)
                or self.window_us % self.ann_bins):
            raise ValueError(f'a {self.window_us} µs window holds no whole number of '
                             f'{self.rate_hz} Hz steps (whole µs each) or {self.ann_bins} '
                             f'ANN bins')

    @property
    def steps(self) -> int:
        """SNN steps per window (10 at 100 Hz, 20 at 200 Hz)."""
        return self.window_us * self.rate_hz // 1_000_000

    @property
    def step_us(self) -> int:
        return 1_000_000 // self.rate_hz

    @property
    def input_shape(self) -> tuple[int, int, int]:
        return (2, self.sensor.height // self.downsample, self.sensor.width // self.downsample)

    def ann_input(self, events: np.ndarray, start_us: int) -> np.ndarray:
        """(2 x ann_bins, H, W) event counts of the window before ``start_us``, bins in time
        order, OFF channels then ON (the seed's stacked histogram)."""
        counts = to_spike_tensor(events, self.sensor, t_start_us=start_us - self.window_us,
                                 bin_us=self.window_us // self.ann_bins, n_bins=self.ann_bins,
                                 downsample=self.downsample)
        return np.concatenate([counts[:, 0], counts[:, 1]])

    def latest_spikes(self, histogram: np.ndarray, period_us: int) -> np.ndarray:
        """(2, k, H, W) binary: the bins of an :meth:`ann_input` histogram that cover its last
        ``period_us`` (at least one), as the SNN's steps of those bins see the events."""
        bins = histogram.reshape(2, self.ann_bins, *histogram.shape[1:])
        k = min(self.ann_bins, max(1, period_us * self.ann_bins // self.window_us))
        return bins[:, -k:] > 0

    def snn_input(self, events: np.ndarray, start_us: int, *, lead: int = 0) -> np.ndarray:
        """(lead + steps, 2, H, W) binary spikes from ``lead`` steps before ``start_us``, one
        bin a step."""
        return to_spike_tensor(events, self.sensor, t_start_us=start_us - lead * self.step_us,
                               bin_us=self.step_us, n_bins=lead + self.steps,
                               downsample=self.downsample, binary=True).astype(np.uint8)

    def targets(self, label_us: np.ndarray, joints_2d: np.ndarray, start_us: int) -> np.ndarray:
        """(steps, 13, 2) sensor pixels at the end of every step."""
        ends = start_us + self.step_us * np.arange(1, self.steps + 1)
        return pose_at(label_us, joints_2d, ends)

    def from_take(self, take: PoseTake, view: int, stride_us: int | None = None
                  ) -> PoseSamples:
        """Every whole window of one view of a take that has a window of history before it,
        starting every ``stride_us`` (default: back to back)."""
        events = take.events[view]
        starts = np.arange(self.window_us, int(take.label_us[-1]) - self.window_us + 1,
                           stride_us or self.window_us)
        truth = take.joints_2d[view]
        return PoseSamples(
            ann=np.stack([self.ann_input(events, s) for s in starts]),
            snn=np.stack([self.snn_input(events, s, lead=1) for s in starts]),
            targets=np.stack([self.targets(take.label_us, truth, s) for s in starts]),
            start_pose=pose_at(take.label_us, truth, starts), start_us=starts)


@dataclass(frozen=True)
class PoseSamples:
    """Windows of one stream (or several, concatenated), as the networks train on them.

    ``snn`` leads with the step before the window: a runtime delivers the input one step late
    (:class:`~hybrid_perception.networks.snn.torch_runtime.TorchRuntime`), so the window's
    first step carries it and the window's last bin waits for the next window.
    """

    ann: np.ndarray         # (N, 2 x ann_bins, H, W) event counts of the window before
    snn: np.ndarray         # (N, 1 + steps, 2, H, W) binary spikes
    targets: np.ndarray     # (N, steps, joints, 2) pixels at every step's end
    start_pose: np.ndarray  # (N, joints, 2) pixels at the window's start: the ANN's target
    start_us: np.ndarray    # (N,) window starts within the stream

    def __len__(self) -> int:
        return len(self.start_us)

    def select(self, index: np.ndarray) -> PoseSamples:
        """The windows at ``index`` (indices or a mask)."""
        return PoseSamples(*(getattr(self, f.name)[index] for f in fields(self)))

    @classmethod
    def concatenate(cls, parts: list[PoseSamples]) -> PoseSamples:
        return cls(*(np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(cls)))

    def moved(self, cells: np.ndarray, downsample: int) -> PoseSamples:
        """Each window as if its person stood elsewhere: its input moved by its (dx, dy)
        cells of the networks' grid, (N, 2) integers, and its poses by as many sensor pixels.
        What moves in from outside the view is empty, as it is for a person at the edge."""
        pixels = np.asarray(cells, np.float64) * downsample
        return replace(self, ann=_moved(self.ann, cells), snn=_moved(self.snn, cells),
                       targets=self.targets + pixels[:, None, None],
                       start_pose=self.start_pose + pixels[:, None])

    def cut_below(self, rows_px: np.ndarray, downsample: int) -> PoseSamples:
        """Each window as a camera framing less of the body sees it: its input blank from
        sensor row ``rows_px[i]`` down (NaN: left whole), its poses unchanged, so a network
        learns to put the joints it can see where they are and the others where they would
        be, off the events, not to fit the whole skeleton into what is visible (#22)."""
        first = np.ceil(np.asarray(rows_px, np.float64) / downsample)
        ann, snn = self.ann.copy(), self.snn.copy()
        for i in np.flatnonzero(np.isfinite(first)):
            row = max(int(first[i]), 0)
            ann[i, ..., row:, :] = 0
            snn[i, ..., row:, :] = 0
        return replace(self, ann=ann, snn=snn)


def _moved(planes: np.ndarray, cells: np.ndarray) -> np.ndarray:
    """(N, ..., H, W): sample i moved by cells[i] = (dx, dy), zeros moved in."""
    out = np.zeros_like(planes)
    h, w = planes.shape[-2:]
    for i, (dx, dy) in enumerate(np.asarray(cells, np.int64)):
        if abs(dx) < w and abs(dy) < h:
            out[i, ..., max(dy, 0):h + min(dy, 0), max(dx, 0):w + min(dx, 0)] = \
                planes[i, ..., max(-dy, 0):h + min(-dy, 0), max(-dx, 0):w + min(-dx, 0)]
    return out


def pose_at(label_us: np.ndarray, joints: np.ndarray, times_us: np.ndarray) -> np.ndarray:
    """Joints (F, 13, D) labelled at ``label_us`` at other times, linear between labels."""
    flat = joints.reshape(len(label_us), -1)
    return np.stack([np.interp(times_us, label_us, column) for column in flat.T],
                    axis=-1).reshape(len(times_us), *joints.shape[1:])
