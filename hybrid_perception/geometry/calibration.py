"""A camera's calibration as ROS keeps it: the fields of a sensor_msgs/CameraInfo, read from
the YAML file ``camera_calibration`` writes and ``camera_info_manager`` reads (the
``camera_info_url`` of ROS camera drivers, metavision_driver's and libcaer_driver's among
them), or taken from a recording that carries one (a bag's CameraInfo).

Event cameras are calibrated like frame cameras (a blinking pattern, or DV's and Metavision's
calibration tools, which can export this YAML); none of the event file formats read here holds
a calibration, so a file's own comes only from bags.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

import numpy as np
import yaml

from hybrid_perception.errors import HybridPerceptionError

__all__ = ['CameraCalibration', 'read_calibration', 'calibration_path']

#: YAML key -> (CameraInfo field, rows, cols); distortion has any number of columns
_MATRICES = {'camera_matrix': ('k', 3, 3), 'distortion_coefficients': ('d', 1, None),
             'rectification_matrix': ('r', 3, 3), 'projection_matrix': ('p', 3, 4)}


@dataclass(frozen=True)
class CameraCalibration:
    """CameraInfo's calibration fields (row-major tuples) for a ``width`` x ``height`` image."""

    width: int
    height: int
    k: tuple[float, ...]
    d: tuple[float, ...]
    r: tuple[float, ...]
    p: tuple[float, ...]
    distortion_model: str
    source: str

    @classmethod
    def of_camera_info(cls, msg, source: str) -> CameraCalibration | None:
        """The calibration a CameraInfo message holds (rclpy's or rosbags'), or None when its
        K is all zeros, which is how ROS says "uncalibrated"."""
        k = tuple(float(v) for v in msg.k)
        if not any(k):
            return None
        r = tuple(float(v) for v in msg.r)
        return cls(int(msg.width), int(msg.height), k, tuple(float(v) for v in msg.d),
                   r if any(r) else tuple(np.eye(3).ravel()), tuple(float(v) for v in msg.p),
                   msg.distortion_model, source)


def calibration_path(url: str) -> Path:
    """The file a camera_info_manager URL names: ``file:///abs/path`` or a plain path.
    ``package://`` URLs need the ament index of a built workspace: refused by name here."""
    parsed = urlparse(url)
    if parsed.scheme in ('', 'file'):
        return Path(unquote(parsed.path) if parsed.scheme else url).expanduser()
    raise HybridPerceptionError(f'camera_info_url {url!r}: only file:// URLs and paths are read '
                                '(give the file\'s path)')


def read_calibration(url: str) -> CameraCalibration:
    """A camera_calibration YAML file (``image_width``, ``image_height``, ``camera_matrix``,
    ``distortion_model``, ``distortion_coefficients``, ``rectification_matrix``,
    ``projection_matrix``); anything missing or misshapen is one clear error."""
    path = calibration_path(url)
    try:
        text = yaml.safe_load(path.read_text())
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as err:
        raise HybridPerceptionError(f'{path}: not a readable calibration file: {err}') from err
    if not isinstance(text, dict):
        raise HybridPerceptionError(f'{path}: not a camera_calibration YAML file (no mapping)')
    fields = {}
    try:
        width, height = int(text['image_width']), int(text['image_height'])
        for key, (name, rows, cols) in _MATRICES.items():
            entry = text[key]
            data = tuple(float(v) for v in entry['data'])
            cols = cols or int(entry['cols'])
            if (int(entry['rows']), int(entry['cols'])) != (rows, cols) or \
                    len(data) != rows * cols:
                raise ValueError(f'{key} is {entry["rows"]}x{entry["cols"]} with {len(data)} '
                                 f'values, not {rows}x{cols}')
            fields[name] = data
        model = str(text.get('distortion_model', 'plumb_bob'))
    except (KeyError, TypeError, ValueError) as err:
        raise HybridPerceptionError(f'{path}: not a camera_calibration YAML file: '
                                    f'{type(err).__name__} {err}') from err
    if width <= 0 or height <= 0 or not any(fields['k']):
        raise HybridPerceptionError(f'{path}: image size {width}x{height} and camera_matrix '
                                    'must be set')
    return CameraCalibration(width, height, distortion_model=model, source=str(path), **fields)
