"""H2's training windows from a recorded dataset on disk (DHP19), cut when training asks.

DHP19's hours of events at 128x128 windows would need hundreds of gigabytes as the in-memory
:class:`~.windows.PoseSamples` the synthetic takes become. :class:`RecordedWindows` keeps only
each window's place and truth, and reads a batch's events through the recording's millisecond
index when the training draws the batch: ``select`` gives the same :class:`PoseSamples` the
synthetic path holds, so the training code is one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hybrid_perception.datasets.dhp19 import (
    DHP19_CAMERAS,
    DHP19_CROP,
    DHP19_SENSOR,
    DHP19_TRAIN_SUBJECTS,
    Dhp19Folder,
    Dhp19Recording,
)
from hybrid_perception.events.fitting import SensorFit
from hybrid_perception.hybrid.pose.windows import PoseSamples, PoseWindows, pose_at

__all__ = ['RecordedStream', 'RecordedWindows', 'dhp19_streams', 'dhp19_training_data']


@dataclass(frozen=True)
class RecordedStream:
    """One camera of one recording: where its events are, and its truth in model pixels
    (NaN where the motion capture lost a joint)."""

    recording: Dhp19Recording
    camera: int
    fit: SensorFit
    label_us: np.ndarray
    joints_2d: np.ndarray       # (F, 13, 2)

    def events(self, start_us: int, end_us: int) -> np.ndarray:
        """The camera's events in [start, end) in the model's input; those outside the crop
        are dropped."""
        events, _ = self.fit(self.recording.events(self.camera, start_us, end_us))
        x, y = events['x'], events['y']
        return events[(x >= 0) & (x < self.fit.target.width) & (y >= 0)
                      & (y < self.fit.target.height)]


def dhp19_streams(folder: Dhp19Folder, subjects, cameras, windows: PoseWindows
                  ) -> list[RecordedStream]:
    """Every recording of ``subjects`` seen by each of ``cameras``, cropped as the seed crops
    (into the spec's sensor, which is the crop's size for ``pose-dhp19``)."""
    fit = SensorFit(DHP19_SENSOR, windows.sensor, DHP19_CROP)
    calibrated = {camera: folder.camera(camera) for camera in cameras}
    streams = []
    for recording in folder.recordings(subjects):
        label_us, joints = recording.joints()           # read once, projected into each view
        streams += [RecordedStream(recording, camera, fit, label_us,
                                   fit.to_model(view.project(joints)))
                    for camera, view in calibrated.items()]
    return streams


class RecordedWindows:
    """Windows of recorded streams every ``stride_us``, each with a window of history before it
    and its truth to the end: ``len``, ``start_us``, ``targets`` and ``start_pose`` are held;
    ``select`` reads and cuts the events of the windows asked for."""

    def __init__(self, windows: PoseWindows, streams: list[RecordedStream],
                 stride_us: int | None = None) -> None:
        self.windows = windows
        self.streams = streams
        stream, start = [], []
        for k, s in enumerate(streams):
            end = min(int(s.label_us[-1]), s.recording.duration_us(s.camera))
            starts = np.arange(windows.window_us, end - windows.window_us + 1,
                               stride_us or windows.window_us)
            stream += [k] * len(starts)
            start += starts.tolist()
        self.stream = np.array(stream, np.int64)
        self.start_us = np.array(start, np.int64)
        self.targets = np.stack([windows.targets(streams[k].label_us, streams[k].joints_2d, t)
                                 for k, t in zip(self.stream, self.start_us, strict=True)]) \
            if start else np.zeros((0, windows.steps, 13, 2))
        self.start_pose = np.stack([pose_at(streams[k].label_us, streams[k].joints_2d,
                                            np.array([t]))[0]
                                    for k, t in zip(self.stream, self.start_us, strict=True)]) \
            if start else np.zeros((0, 13, 2))

    def __len__(self) -> int:
        return len(self.start_us)

    def select(self, index: np.ndarray) -> PoseSamples:
        """The windows at ``index`` (indices or a mask), their events read now."""
        index = np.arange(len(self))[index]
        w = self.windows
        ann, snn = [], []
        for i in index:
            s, t = self.streams[self.stream[i]], int(self.start_us[i])
            events = s.events(t - w.window_us, t + w.window_us)
            ann.append(w.ann_input(events, t))
            snn.append(w.snn_input(events, t, lead=1))
        return PoseSamples(ann=np.stack(ann), snn=np.stack(snn), targets=self.targets[index],
                           start_pose=self.start_pose[index], start_us=self.start_us[index])


def dhp19_training_data(folder: Dhp19Folder, windows: PoseWindows, val_subjects: int,
                        stride_us: int | None = None, cameras=DHP19_CAMERAS
                        ) -> dict[str, tuple[RecordedWindows, np.ndarray]]:
    """The seed's training subjects (1-12) seen by ``cameras`` (the seed's 2 and 3), the last
    ``val_subjects`` of them held out to choose the epoch: the data dict the training stages
    take, each split with its windows' stream ids."""
    subjects = list(DHP19_TRAIN_SUBJECTS)
    if not 0 < val_subjects < len(subjects):
        raise ValueError(f'validation takes 1-{len(subjects) - 1} of DHP19\'s '
                         f'{len(subjects)} training subjects, got {val_subjects}')
    out = {}
    for split, chosen in (('train', subjects[:-val_subjects]), ('val', subjects[-val_subjects:])):
        recorded = RecordedWindows(windows, dhp19_streams(folder, chosen, cameras, windows),
                                   stride_us)
        out[split] = (recorded, recorded.stream)
    return out
