"""DHP19 (Calabrese et al., CVPR-W 2019) in the HDF5 layout the H2 seed reads.

The seed (uzh-rpg/hybrid_ann_snn) works from DHP19 converted to one HDF5 file of events per
recording (``S<subject>_session<k>_mov<m>_events``) and one of labels:

- events: per camera ``cam<i>_events/{x, y, p, t}`` (x, y 1-based on the 346x260 DAVIS346, p
  polarity 0/1, t µs from the recording's start) and ``cam<i>_ms_to_idx`` (index of the first
  event of every millisecond);
- labels: ``XYZ/3d_poses`` (F, 3, 13) Vicon millimetres, ``XYZ/timestamps`` (F,) µs, every 10 ms;
- per camera a 3x4 projection matrix (``P1.npy`` ... ``P4.npy``) mapping Vicon millimetres to
  pixels whose v axis points up (the seed takes ``v = 260 - v``).

Here that becomes our event arrays (0-based pixels), joints in metres in DHP19's joint order,
and :class:`~hybrid_perception.geometry.cameras.Camera` objects (K, R, t recovered from P), so the
real data flows through the same code as the synthetic one. Subjects 1-12 train, 13-17 test.

:class:`Dhp19Folder` is a folder as the seed's loader finds it
(``dataloaders/snn_dataloader``): ``S<s>_session<k>_mov<m>_events.h5`` beside
``S<s>_session<k>_mov<m>_events_label.h5``, and the projection matrices, which the seed pairs
with cameras 0-3 as P4, P1, P3, P2. The seed crops the sensor to 256x256 (columns 34-289, rows
2-257) and trains on cameras 2 and 3.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np

from hybrid_perception.datasets.people import PoseTake
from hybrid_perception.errors import EventFormatError
from hybrid_perception.events.array import SensorSize, make_events
from hybrid_perception.geometry.cameras import Camera

__all__ = ['DHP19_CAMERAS', 'DHP19_CROP', 'DHP19_SENSOR', 'DHP19_TEST_SUBJECTS',
           'DHP19_TRAIN_SUBJECTS', 'Dhp19Folder', 'Dhp19Recording', 'camera_from_projection',
           'projection_from_camera']

DHP19_SENSOR = SensorSize(346, 260)
DHP19_TRAIN_SUBJECTS = range(1, 13)
DHP19_TEST_SUBJECTS = range(13, 18)
DHP19_CAMERAS = (2, 3)                  # the seed's views
DHP19_CROP = (34, 2, 256, 256)          # x, y, width, height: the seed's crop
_PROJECTION_FILE = {0: 'P4.npy', 1: 'P1.npy', 2: 'P3.npy', 3: 'P2.npy'}   # the seed's pairing
_NAME = re.compile(r'S(\d+)_session(\d+)_mov(\d+)_events')
_MM = 1000.0


@dataclass(frozen=True)
class Dhp19Recording:
    """One recording: its events file and its labels file."""

    events_path: Path
    labels_path: Path

    @property
    def name(self) -> str:
        """``S<subject>_session<k>_mov<m>`` (the file's name without ``_events``)."""
        return self.events_path.name.split('_events')[0]

    @property
    def subject(self) -> int:
        match = _NAME.match(self.events_path.name)
        if match is None:
            raise EventFormatError(f'{self.events_path.name}: not named as DHP19 names '
                                   f'recordings (S<subject>_session<k>_mov<m>_events)')
        return int(match.group(1))

    def take(self, cameras: dict[int, Camera]) -> PoseTake:
        """The whole recording as a take of the synthetic world's kind: the events of
        ``cameras`` (index -> calibrated camera) as its views, in that order, and the truth
        projected into each (NaN where the motion capture lost a joint)."""
        label_us, joints = self.joints()
        return PoseTake(events=tuple(self.events(c) for c in cameras), label_us=label_us,
                        joints_3d=joints,
                        joints_2d=np.stack([camera.project(joints) for camera in cameras.values()]),
                        movement=self.name, person=self.subject)

    def events(self, camera: int, start_us: int | None = None,
               end_us: int | None = None) -> np.ndarray:
        """Camera ``camera``'s (0-3) events, 0-based pixels, time-ordered as recorded; with
        ``start_us`` and ``end_us`` only those in [start, end), read through the camera's
        millisecond index so a window costs what it holds, not the recording."""
        group = f'cam{camera}_events'
        with _open(self.events_path) as handle:
            if group not in handle:
                raise EventFormatError(f'{self.events_path}: no {group} '
                                       f'(cameras: {sorted(k for k in handle if "_events" in k)})')
            try:
                datasets = {k: handle[f'{group}/{k}'] for k in 'xytp'}
                lengths = {k: d.shape[0] for k, d in datasets.items()}
                if len(set(lengths.values())) != 1:
                    raise EventFormatError(f'{self.events_path}: {group} columns differ in '
                                           f'length {lengths}: the file is truncated')
                part = slice(None) if start_us is None else self._span(
                    handle, camera, start_us, end_us, lengths['t'])
                columns = {k: np.asarray(d[part]) for k, d in datasets.items()}
            except (KeyError, OSError) as err:
                raise EventFormatError(f'{self.events_path}: {group} is incomplete: {err}') from err
        x, y = columns['x'].astype(np.int64) - 1, columns['y'].astype(np.int64) - 1
        if x.size and (x.min() < 0 or y.min() < 0 or x.max() >= DHP19_SENSOR.width
                       or y.max() >= DHP19_SENSOR.height):
            raise EventFormatError(f'{self.events_path}: {group} has pixels outside DHP19\'s '
                                   f'{DHP19_SENSOR.width}x{DHP19_SENSOR.height} sensor')
        events = make_events(columns['t'], x, y, columns['p'] > 0)
        if start_us is not None:
            t = events['timestamp']
            events = events[(t >= start_us) & (t < end_us)]
        return events

    def duration_us(self, camera: int) -> int:
        """How long the camera's millisecond index says the recording is."""
        with _open(self.events_path) as handle:
            return int(self._ms_index(handle, camera).shape[0]) * 1000

    def _ms_index(self, handle: h5py.File, camera: int) -> h5py.Dataset:
        """The camera's index of the first event of every millisecond."""
        index = handle.get(f'cam{camera}_ms_to_idx')
        if index is None:
            raise EventFormatError(f'{self.events_path}: no cam{camera}_ms_to_idx')
        return index

    def _span(self, handle: h5py.File, camera: int, start_us: int, end_us: int,
              total: int) -> slice:
        """Events of the milliseconds [start, end) by the index (a whole millisecond either
        side; the caller cuts to the µs)."""
        index = self._ms_index(handle, camera)
        n = index.shape[0]
        first = max(0, start_us // 1000)
        last = -(-end_us // 1000)
        a = int(index[first]) if first < n else total
        b = int(index[last]) if last < n else total
        if not 0 <= a <= b <= total:
            raise EventFormatError(f'{self.events_path}: cam{camera}_ms_to_idx points outside '
                                   f'its {total} events ({a}..{b})')
        return slice(a, b)

    def joints(self) -> tuple[np.ndarray, np.ndarray]:
        """(label_us (F,), joints (F, 13, 3) metres, DHP19's order; NaN where Vicon lost one)."""
        with _open(self.labels_path) as handle:
            try:
                poses = np.asarray(handle['XYZ/3d_poses'], np.float64)
                stamps = np.asarray(handle['XYZ/timestamps'], np.int64)
            except (KeyError, OSError) as err:
                raise EventFormatError(f'{self.labels_path}: no XYZ/3d_poses and '
                                       f'XYZ/timestamps: {err}') from err
        if poses.ndim != 3 or poses.shape[1:] != (3, 13) or len(stamps) != len(poses):
            raise EventFormatError(f'{self.labels_path}: expected (F, 3, 13) poses and F '
                                   f'timestamps, got {poses.shape} and {stamps.shape}')
        return stamps, np.moveaxis(poses, 1, 2) / _MM


@dataclass(frozen=True)
class Dhp19Folder:
    """DHP19 in the seed's layout (module docstring): its recordings and calibrated cameras."""

    root: Path

    def recordings(self, subjects: Iterable[int]) -> list[Dhp19Recording]:
        """The recordings of ``subjects``, in name order; EventFormatError when the folder
        holds none of them or a recording has no labels file."""
        subjects = set(subjects)
        if not self.root.is_dir():
            raise EventFormatError(f'{self.root}: no such folder')
        found = []
        for path in sorted(self.root.glob('S*_session*_mov*_events.h5')):
            recording = Dhp19Recording(path, path.with_name(f'{path.stem}_label.h5'))
            if recording.subject not in subjects:
                continue
            if not recording.labels_path.is_file():
                raise EventFormatError(f'{path.name} has no labels file '
                                       f'({recording.labels_path.name})')
            found.append(recording)
        if not found:
            raise EventFormatError(f'{self.root}: no DHP19 recordings of subjects '
                                   f'{sorted(subjects)} (S<subject>_session<k>_mov<m>_events.h5)')
        return found

    def camera(self, index: int) -> Camera:
        """Camera ``index`` (0-3) from its projection matrix, here or in ``P_matrices/``."""
        if index not in _PROJECTION_FILE:
            raise EventFormatError(f'DHP19 has cameras 0-3, not {index}')
        name = _PROJECTION_FILE[index]
        for path in (self.root / name, self.root / 'P_matrices' / name):
            if path.is_file():
                try:
                    P = np.load(path, allow_pickle=False)
                except ValueError as err:
                    raise EventFormatError(f'{path}: not a numpy array file: {err}') from err
                return camera_from_projection(f'cam{index}', P)
        raise EventFormatError(f'{self.root}: no {name} (camera {index}\'s projection matrix), '
                               f'nor in P_matrices/')


def camera_from_projection(name: str, P: np.ndarray,
                           sensor: SensorSize = DHP19_SENSOR) -> Camera:
    """Our Camera (metres, v down) from a DHP19 projection matrix (millimetres, v up).

    Flipping v and scaling millimetres to metres are two more linear maps; K, R and t then come
    out of an RQ decomposition of the left 3x3 block, signs fixed so K's diagonal is positive.
    """
    P = np.asarray(P, np.float64)
    if P.shape != (3, 4):
        raise EventFormatError(f'camera {name}: a projection matrix is 3x4, got {P.shape}')
    P = _flip_v(sensor) @ P @ np.diag([_MM, _MM, _MM, 1.0])
    K, R = _rq(P[:, :3])
    t = np.linalg.solve(K, P[:, 3])
    if np.linalg.det(R) < 0:  # P is defined up to sign: take the one with a proper rotation
        R, t = -R, -t
    return Camera(name, sensor, K / K[2, 2], R, t)


def projection_from_camera(camera: Camera) -> np.ndarray:
    """The inverse: a DHP19-style projection matrix (millimetres in, v up) of a Camera."""
    return _flip_v(camera.sensor) @ camera.P @ np.diag([1 / _MM, 1 / _MM, 1 / _MM, 1.0])


def _flip_v(sensor: SensorSize) -> np.ndarray:
    """v -> height - v in homogeneous pixels: DHP19's v points up, ours down (its own inverse)."""
    return np.array([[1.0, 0.0, 0.0], [0.0, -1.0, sensor.height], [0.0, 0.0, 1.0]])


def _rq(M: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """M = K R with K upper triangular (positive diagonal) and R orthonormal."""
    reverse = np.eye(3)[::-1]
    q, r = np.linalg.qr((reverse @ M).T)
    K, R = reverse @ r.T @ reverse, reverse @ q.T
    signs = np.diag(np.sign(np.diag(K)))
    return K @ signs, signs @ R


def _open(path: Path) -> h5py.File:
    try:
        return h5py.File(path, 'r')
    except OSError as err:
        raise EventFormatError(f'{path}: not a readable HDF5 file: {err}') from err
