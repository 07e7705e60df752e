"""Library objects <-> ROS 2 messages (the DESIGN.md topic contract)."""

from __future__ import annotations

import struct
import warnings
from functools import lru_cache

import numpy as np
from builtin_interfaces.msg import Time
from sensor_msgs.msg import CameraInfo, Image, PointCloud2, PointField
from std_msgs.msg import Header
from visualization_msgs.msg import Marker, MarkerArray

from hybrid_perception.errors import DataFormatError
from hybrid_perception.events.array import SensorSize
from hybrid_perception.events.cdr import CdrReader, cdr_header
from hybrid_perception.events.pointcloud import (
    POINT_FIELDS,
    encode_points,
    packet_layout,
    stamp_from_us,
    us_from_stamp,
)
from hybrid_perception.geometry.calibration import CameraCalibration

__all__ = ['CAMERA_ENCODINGS', 'compiled_types', 'header', 'events_to_pointcloud2',
           'camera_info', 'camera_image', 'label_marker', 'label_marker_bytes', 'string_bytes',
           'matrix_to_image', 'image_bytes', 'image_to_matrix', 'pose_array_bytes',
           'read_image', 'read_pose_array',
           'stamp_us']

#: The image encodings of the topic contract, (dtype, channels): spike rasters, float tensors
#: and the colour frames people look at; and what cameras publish (sensor_msgs
#: image_encodings: rgb8, mono16).
_ENCODINGS = {'mono8': (np.dtype(np.uint8), 1), '32FC1': (np.dtype('<f4'), 1),
              'bgr8': (np.dtype(np.uint8), 3), 'rgb8': (np.dtype(np.uint8), 3),
              'mono16': (np.dtype('<u2'), 1)}
CAMERA_ENCODINGS = tuple(_ENCODINGS)

_POINT_FIELDS_MSG = [PointField(name=f.name, offset=f.offset, datatype=f.datatype,
                                count=f.count) for f in POINT_FIELDS]


def compiled_types(*names: str, stacklevel: int = 2) -> tuple | None:
    """The compiled ``hybrid_perception_msgs`` classes of ``names``, or None with a warning
    where the message package is not built (pip installs without colcon) or was built before
    one of them existed: the data still goes out, the ground truth does not."""
    try:
        import hybrid_perception_msgs.msg as types
        return tuple(getattr(types, name) for name in names)
    except (ImportError, AttributeError) as err:
        warnings.warn(f'hybrid_perception_msgs is not built, or built without {", ".join(names)} '
                      f'({err}): ground truth is not published live (colcon build, see README)',
                      stacklevel=stacklevel + 1)
        return None


def header(t_us: int, frame_id: str) -> Header:
    sec, nanosec = stamp_from_us(t_us)
    return Header(stamp=Time(sec=sec, nanosec=nanosec), frame_id=frame_id)


def events_to_pointcloud2(events: np.ndarray, stamp: int, frame_id: str) -> PointCloud2:
    """One packet; ``stamp`` (µs) is the packet's time, event ``t`` is relative to it."""
    points = encode_points(events, stamp)
    # a list of its own: rclpy keeps the list it is given, so a shared one edited through one
    # message would change every message
    msg = PointCloud2(header=header(stamp, frame_id), fields=list(_POINT_FIELDS_MSG),
                      **packet_layout(points.size))
    # Assigning bytes skips the per-element checks of the array setter (common_interfaces#177).
    msg.data = points.tobytes()
    return msg


def stamp_us(msg_header) -> int:
    return us_from_stamp(msg_header.stamp.sec, msg_header.stamp.nanosec)


def matrix_to_image(matrix: np.ndarray, encoding: str, t_us: int, frame_id: str) -> Image:
    """An (H, W) or, for ``bgr8``, (H, W, 3) array as an Image (little-endian, rows
    contiguous)."""
    matrix, h, w, step = _image_layout(matrix, encoding)
    msg = Image(header=header(t_us, frame_id), height=h, width=w, encoding=encoding,
                is_bigendian=0, step=step)
    msg.data = matrix.tobytes()
    return msg


def image_bytes(matrix: np.ndarray, encoding: str, t_us: int, frame_id: str) -> bytes:
    """:func:`matrix_to_image`'s message, serialized: what the H1 stages publish on every
    window. rclpy builds an Image object and serializes it in ~2x the time this takes (21
    against 9 µs for a 16 KB spike raster here), on the path each decision waits for."""
    matrix, h, w, step = _image_layout(matrix, encoding)
    name = encoding.encode() + b'\0'
    head = cdr_header(t_us, frame_id) + struct.pack('<III', h, w, len(name)) + name
    return b''.join((head, struct.pack('<B', 0), bytes(-(len(head) - 3) % 4),
                     struct.pack('<II', step, matrix.nbytes), matrix.reshape(-1).view(np.uint8)))


def _image_layout(matrix: np.ndarray, encoding: str) -> tuple[np.ndarray, int, int, int]:
    """``matrix`` contiguous in ``encoding``'s dtype, its height, width and row step;
    ValueError for a shape the encoding cannot carry."""
    dtype, channels = _ENCODINGS[encoding]
    matrix = np.ascontiguousarray(matrix, dtype)
    h, w = matrix.shape[:2]
    if matrix.shape != ((h, w) if channels == 1 else (h, w, channels)):
        raise ValueError(f'{encoding} needs {channels} channel(s), got shape {matrix.shape}')
    return matrix, h, w, w * channels * dtype.itemsize


def image_to_matrix(msg: Image, encoding: str) -> np.ndarray:
    """The array of :func:`matrix_to_image`; ValueError says what is wrong with a bad one."""
    return _image_matrix(encoding, msg.encoding, bool(msg.is_bigendian), msg.height,
                         msg.width, msg.step, msg.data)


def read_image(raw: bytes, encoding: str) -> tuple[int, str, np.ndarray]:
    """Stamp (µs), frame_id and array of a serialized Image (a ``raw=True`` subscription's
    message) of ``encoding``; ValueError says what is wrong with a bad one (DataFormatError,
    one, when it is not an Image at all)."""
    r = CdrReader(raw, 'Image')
    stamp, frame_id = r.stamp_and_frame()
    height, width = r.take('II', 4)
    got = r.string()
    (bigendian,) = r.take('?', 1)
    (step,) = r.take('I', 4)
    return stamp, frame_id, _image_matrix(encoding, got, bigendian or r.order == '>', height,
                                          width, step, r.sequence())


def _image_matrix(encoding: str, got: str, bigendian: bool, height: int, width: int,
                  step: int, data) -> np.ndarray:
    if got != encoding:
        raise ValueError(f'expected a {encoding} image, got encoding {got!r}')
    dtype, channels = _ENCODINGS[encoding]
    if bigendian and dtype.itemsize > 1:
        raise ValueError('big-endian images are not supported')
    row = width * channels * dtype.itemsize
    if step < row or len(data) != step * height:
        raise ValueError(f'{height}x{width} {encoding} image with step {step} '
                         f'needs {step * height} bytes, got {len(data)}')
    rows = np.frombuffer(data, np.uint8).reshape(height, step)[:, :row]
    matrix = rows.copy().view(dtype)
    return matrix if channels == 1 else matrix.reshape(height, width, channels)


def camera_image(msg: Image) -> np.ndarray:
    """A camera's frame as (H, W) grey or (H, W, 3) BGR, in its own dtype (uint8, uint16 or
    float32); ValueError for an encoding not in :data:`CAMERA_ENCODINGS` or a bad message."""
    if msg.encoding not in _ENCODINGS:
        raise ValueError(f'image encoding {msg.encoding!r} is not one of '
                         f'{", ".join(CAMERA_ENCODINGS)}')
    matrix = image_to_matrix(msg, msg.encoding)
    return matrix[..., ::-1] if msg.encoding == 'rgb8' else matrix


def label_marker(text: str, t_us: int, frame_id: str) -> MarkerArray:
    """A classifier's label as white text above the frame's origin, for rviz2."""
    marker = Marker(header=header(t_us, frame_id), ns='classification', id=0,
                    type=Marker.TEXT_VIEW_FACING, action=Marker.ADD, text=text)
    marker.pose.position.z = 1.0
    marker.pose.orientation.w = 1.0
    marker.scale.z = 0.2
    marker.color.r = marker.color.g = marker.color.b = marker.color.a = 1.0
    return MarkerArray(markers=[marker])


def label_marker_bytes(text: str, t_us: int, frame_id: str) -> bytes:
    """:func:`label_marker`'s message, serialized: what ``ann_node`` and
    ``image_classifier_node`` publish with every decision. rclpy builds the MarkerArray's
    Python objects and converts them in ~0.2 ms in the graph, and in one process whatever
    reads ``classification`` waits for it. The message is rclpy's own, serialized once per
    frame_id (the distribution's Marker, whatever fields it has), with its stamp and text
    replaced: every field after the text is aligned to 4 bytes at most, so only the text's
    padding changes."""
    prefix, suffix = _marker_parts(frame_id)
    sec, nanosec = stamp_from_us(t_us)
    body = text.encode() + b'\0'
    end = len(prefix) + 4 + len(body)
    return b''.join((prefix[:8], struct.pack('<iI', sec, nanosec), prefix[16:],
                     struct.pack('<I', len(body)), body, bytes(-(end - 4) % 4), suffix))


def string_bytes(text: str) -> bytes:
    """A std_msgs/String, serialized (the label beside the marker: one Python object less)."""
    body = text.encode() + b'\0'
    return b'\x00\x01\x00\x00' + struct.pack('<I', len(body)) + body


_PLACEHOLDER = 'hybrid_perception label placeholder'


@lru_cache(maxsize=16)
def _marker_parts(frame_id: str) -> tuple[bytes, bytes]:
    """A serialized label marker around its text: the bytes before the text's length, and
    those after its padding. Its stamp sits at bytes 8-16: after the encapsulation and the
    array's length, it opens the one Marker."""
    from rclpy.serialization import serialize_message
    raw = serialize_message(label_marker(_PLACEHOLDER, 0, frame_id))
    if raw[1:2] != b'\x01':            # the byte order of the host; ours are all little-endian
        raise ValueError('rclpy serialized a big-endian message: publish label_marker')
    body = _PLACEHOLDER.encode() + b'\0'
    at = raw.rindex(struct.pack('<I', len(body)) + body)
    after = at + 4 + len(body)
    return raw[:at], raw[after + -(after - 4) % 4:]


def camera_info(sensor: SensorSize, t_us: int, frame_id: str,
                calibration: CameraCalibration | None = None) -> CameraInfo:
    """The sensor's size, and its calibration when one is known (all zeros, ROS's
    "uncalibrated", when not)."""
    msg = CameraInfo(header=header(t_us, frame_id), width=sensor.width, height=sensor.height)
    if calibration is not None:
        msg.k, msg.d, msg.r, msg.p = calibration.k, list(calibration.d), calibration.r, \
            calibration.p
        msg.distortion_model = calibration.distortion_model
    return msg


def pose_array_bytes(points: np.ndarray, t_us: int, frame_id: str) -> bytes:
    """Joints (J, 2) or (J, 3) as a serialized PoseArray, poses with identity orientation: a
    2D pose is pixels (x = column, y = row, z = 0) of the camera's image, a 3D one metres in
    ``frame_id``. Published as bytes because rclpy builds three Python objects a joint to
    make the message (27 µs a joint here), which at 100 Hz of 13 joints was a tenth of a
    core."""
    points = np.asarray(points, np.float64)
    poses = np.zeros((len(points), 7))
    poses[:, :points.shape[1]] = points[:, :3]
    poses[:, 6] = 1.0                                  # the identity quaternion's w
    head = cdr_header(t_us, frame_id) + struct.pack('<I', len(points))
    padding = bytes(-(len(head) - 4) % 8 if len(points) else 0)
    return head + padding + poses.astype('<f8').tobytes()


def read_pose_array(raw: bytes) -> tuple[int, str, np.ndarray]:
    """Stamp (µs), frame_id and (J, 3) positions of a serialized PoseArray (a ``raw=True``
    subscription's message); DataFormatError when it is not one."""
    r = CdrReader(raw, 'PoseArray')
    stamp, frame_id = r.stamp_and_frame()
    (n,) = r.take('I', 4)
    r.align(8 if n else 1)            # an empty sequence has no element to align
    if n * 56 > len(r.buffer) - r.pos:
        raise DataFormatError(f'PoseArray of {n} poses cut short at {len(r.buffer)} bytes')
    poses = np.frombuffer(r.buffer, r.order + 'f8', n * 7, r.pos)
    return stamp, frame_id, poses.reshape(n, 7)[:, :3].astype(np.float64)
