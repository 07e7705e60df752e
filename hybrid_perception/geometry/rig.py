"""A calibrated camera rig as a small YAML file, for where tf2 is not at hand.

Each camera keeps its intrinsics and its pose in the world frame exactly as a ``/tf_static``
transform world -> camera optical frame carries it (``tf2_echo world cam0`` prints the same
numbers), so a rig calibrated on the robot copies over without any convention to translate::

    world_frame: world
    cameras:
      cam0: {width: 128, height: 128, K: [fx, 0, cx, 0, fy, cy, 0, 0, 1],
             translation: [x, y, z], rotation: [qx, qy, qz, qw]}
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import yaml

from hybrid_perception.errors import HybridPerceptionError
from hybrid_perception.events.array import SensorSize
from hybrid_perception.geometry.cameras import Camera, matrix_from_quaternion

__all__ = ['camera_from_pose', 'load_rig', 'save_rig']


def camera_from_pose(name: str, sensor: SensorSize, K, translation, rotation) -> Camera:
    """A Camera from intrinsics and its pose in the world (tf's world -> optical transform)."""
    K = np.asarray(K, np.float64).reshape(3, 3)
    if not K.any():
        raise ValueError(f'camera {name} is not calibrated (K is all zeros)')
    R = matrix_from_quaternion(rotation).T
    return Camera(name, sensor, K, R, -R @ np.asarray(translation, np.float64))


def save_rig(path: str | Path, cameras: tuple[Camera, ...], world_frame: str = 'world') -> Path:
    path = Path(path)
    path.write_text(yaml.safe_dump({'world_frame': world_frame, 'cameras': {
        c.name: {'width': c.sensor.width, 'height': c.sensor.height,
                 'K': [float(v) for v in c.K.ravel()],
                 'translation': [float(v) for v in c.pose_in_world()[0]],
                 'rotation': [float(v) for v in c.pose_in_world()[1]]}
        for c in cameras}}, sort_keys=False, default_flow_style=None))
    return path


def load_rig(path: str | Path) -> tuple[Camera, ...]:
    """The cameras of a rig file, in the file's order; a clear error for a broken file."""
    try:
        data = yaml.safe_load(Path(path).read_text())
        cameras = tuple(
            camera_from_pose(name, SensorSize(int(c['width']), int(c['height'])), c['K'],
                             c['translation'], c['rotation'])
            for name, c in data['cameras'].items())
    except (OSError, yaml.YAMLError, KeyError, TypeError, ValueError, AttributeError) as err:
        raise HybridPerceptionError(f'cannot read camera rig {path}: {err!r}') from err
    if len(cameras) < 2:
        raise HybridPerceptionError(f'{path}: a rig needs at least two cameras to triangulate')
    return cameras
