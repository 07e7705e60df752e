"""Calibrated pinhole cameras: project 3D joints into a view, triangulate them back from views.

World coordinates follow ROS (REP 103): metres, z up. A camera's own frame is the optical
frame (x right, y down, z forward), so its intrinsics are exactly a CameraInfo's ``K`` and its
pose is the transform a ``/tf_static`` message carries. Lens distortion is not modelled: the
synthetic cameras have none and DHP19 publishes undistorted projection matrices.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hybrid_perception.events.array import SensorSize

__all__ = ['Camera', 'look_at', 'matrix_from_quaternion', 'quaternion_from_matrix', 'triangulate']


@dataclass(frozen=True)
class Camera:
    """Intrinsics ``K`` (3x3, pixels) and extrinsics world -> camera (``R`` 3x3, ``t`` 3)."""

    name: str
    sensor: SensorSize
    K: np.ndarray
    R: np.ndarray
    t: np.ndarray

    @property
    def P(self) -> np.ndarray:
        """The 3x4 projection matrix K [R | t]."""
        return self.K @ np.hstack([self.R, self.t[:, None]])

    @property
    def centre(self) -> np.ndarray:
        """The camera's position in the world."""
        return -self.R.T @ self.t

    def pose_in_world(self) -> tuple[np.ndarray, np.ndarray]:
        """(translation, quaternion xyzw) of the world -> optical frame transform, as tf has it."""
        return self.centre, quaternion_from_matrix(self.R.T)

    def to_camera(self, points: np.ndarray) -> np.ndarray:
        """(..., 3) world points in the optical frame."""
        return np.asarray(points, np.float64) @ self.R.T + self.t

    def project(self, points: np.ndarray) -> np.ndarray:
        """(..., 3) world points -> (..., 2) pixels (u right, v down); NaN behind the camera."""
        c = self.to_camera(points)
        z = np.where(c[..., 2] > 1e-9, c[..., 2], np.nan)
        return (c[..., :2] / z[..., None]) @ self.K[:2, :2].T + self.K[:2, 2]

    def pixels_per_metre(self, points: np.ndarray) -> np.ndarray:
        """How many pixels one metre spans at each point's depth (to size limbs in the image)."""
        return self.K[0, 0] / self.to_camera(points)[..., 2]

    def in_view(self, pixels: np.ndarray) -> np.ndarray:
        """Which (..., 2) pixel positions fall on the sensor."""
        u, v = pixels[..., 0], pixels[..., 1]
        return (u >= 0) & (u < self.sensor.width) & (v >= 0) & (v < self.sensor.height)


def look_at(name: str, sensor: SensorSize, focal_px: float, position: np.ndarray,
            target: np.ndarray) -> Camera:
    """A camera at ``position`` whose optical axis goes through ``target``, image y pointing
    down the world's z (an upright view), principal point at the sensor's centre."""
    position, target = np.asarray(position, np.float64), np.asarray(target, np.float64)
    forward = target - position
    forward /= np.linalg.norm(forward)
    right = np.cross(forward, [0.0, 0.0, 1.0])
    if np.linalg.norm(right) < 1e-9:
        raise ValueError(f'camera {name} looks straight up or down: its roll is undefined')
    right /= np.linalg.norm(right)
    down = np.cross(forward, right)
    R = np.stack([right, down, forward])
    K = np.array([[focal_px, 0.0, sensor.width / 2], [0.0, focal_px, sensor.height / 2],
                  [0.0, 0.0, 1.0]])
    return Camera(name, sensor, K, R, -R @ position)


def triangulate(cameras: list[Camera], pixels: list[np.ndarray]) -> np.ndarray:
    """World points from their pixels in two or more views (linear DLT, least squares).

    ``pixels[i]`` is (..., 2) in ``cameras[i]``; views where a point is NaN are left out for
    that point, and a point seen in fewer than two views comes back NaN.
    """
    if len(cameras) != len(pixels) or len(cameras) < 2:
        raise ValueError('triangulation needs the pixels of at least two cameras, one per camera')
    uv = np.stack([np.asarray(p, np.float64) for p in pixels])          # (V, ..., 2)
    shape = uv.shape[1:-1]
    uv = uv.reshape(len(cameras), -1, 2)                                 # (V, N, 2)
    P = np.stack([c.P for c in cameras])                                 # (V, 3, 4)
    rows = np.concatenate([uv[..., :1] * P[:, None, 2] - P[:, None, 0],
                           uv[..., 1:] * P[:, None, 2] - P[:, None, 1]], axis=-1)
    rows = rows.reshape(len(cameras), -1, 2, 4)                          # (V, N, 2, 4)
    seen = np.isfinite(rows).all(axis=(-1, -2))                          # (V, N)
    A = np.where(seen[..., None, None], rows, 0.0).transpose(1, 0, 2, 3).reshape(-1, 2 * len(
        cameras), 4)
    # Each row is scaled to unit length so that a near view does not outweigh a far one.
    A = A / np.maximum(np.linalg.norm(A, axis=-1, keepdims=True), 1e-12)
    _, _, vt = np.linalg.svd(A)
    homogeneous = vt[:, -1]
    points = homogeneous[:, :3] / homogeneous[:, 3:]
    points[seen.sum(axis=0) < 2] = np.nan
    return points.reshape(*shape, 3)


def quaternion_from_matrix(R: np.ndarray) -> np.ndarray:
    """(x, y, z, w), ROS's order, of a rotation matrix (Shepperd's method: stable everywhere)."""
    R = np.asarray(R, np.float64)
    trace = np.trace(R)
    if trace > 0:
        s = 2.0 * np.sqrt(trace + 1.0)
        q = [(R[2, 1] - R[1, 2]) / s, (R[0, 2] - R[2, 0]) / s, (R[1, 0] - R[0, 1]) / s, s / 4]
    else:
        i = int(np.argmax(np.diag(R)))
        j, k = (i + 1) % 3, (i + 2) % 3
        s = 2.0 * np.sqrt(1.0 + R[i, i] - R[j, j] - R[k, k])
        q = np.zeros(4)
        q[i], q[j], q[k] = s / 4, (R[j, i] + R[i, j]) / s, (R[k, i] + R[i, k]) / s
        q[3] = (R[k, j] - R[j, k]) / s
    q = np.asarray(q, np.float64)
    return q / np.linalg.norm(q)


def matrix_from_quaternion(q: np.ndarray) -> np.ndarray:
    """The rotation matrix of a unit quaternion (x, y, z, w)."""
    x, y, z, w = np.asarray(q, np.float64) / np.linalg.norm(q)
    return np.array([
        [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
        [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
        [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)]])
