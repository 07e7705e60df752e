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
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np

from hybrid_perception.errors import EventFormatError
from hybrid_perception.events.array import SensorSize, make_events
from hybrid_perception.geometry.cameras import Camera

__all__ = ['DHP19_SENSOR', 'DHP19_TEST_SUBJECTS', 'Dhp19Recording', 'camera_from_projection',
           'projection_from_camera']

DHP19_SENSOR = SensorSize(346, 260)
DHP19_TEST_SUBJECTS = range(13, 18)
_MM = 1000.0


@dataclass(frozen=True)
class Dhp19Recording:
    """One recording: its events file and its labels file."""

    events_path: Path
    labels_path: Path

    def events(self, camera: int) -> np.ndarray:
        """Camera ``camera``'s (0-3) events, 0-based pixels, time-ordered as recorded."""
        group = f'cam{camera}_events'
        with _open(self.events_path) as handle:
            if group not in handle:
                raise EventFormatError(f'{self.events_path}: no {group} '
                                       f'(cameras: {sorted(k for k in handle if "_events" in k)})')
            try:
                columns = {k: np.asarray(handle[f'{group}/{k}']) for k in 'xytp'}
            except (KeyError, OSError) as err:
                raise EventFormatError(f'{self.events_path}: {group} is incomplete: {err}') from err
        lengths = {k: v.size for k, v in columns.items()}
        if len(set(lengths.values())) != 1:
            raise EventFormatError(f'{self.events_path}: {group} columns differ in length '
                                   f'{lengths}: the file is truncated')
        x, y = columns['x'].astype(np.int64) - 1, columns['y'].astype(np.int64) - 1
        if x.size and (x.min() < 0 or y.min() < 0 or x.max() >= DHP19_SENSOR.width
                       or y.max() >= DHP19_SENSOR.height):
            raise EventFormatError(f'{self.events_path}: {group} has pixels outside DHP19\'s '
                                   f'{DHP19_SENSOR.width}x{DHP19_SENSOR.height} sensor')
        return make_events(columns['t'], x, y, columns['p'] > 0)

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
