"""Library objects <-> ROS 2 messages (the DESIGN.md topic contract)."""

from __future__ import annotations

import numpy as np
from builtin_interfaces.msg import Time
from sensor_msgs.msg import CameraInfo, Image, PointCloud2, PointField
from std_msgs.msg import Header

from hybrid_perception.events.array import SensorSize
from hybrid_perception.events.pointcloud import (
    POINT_FIELDS,
    encode_points,
    packet_layout,
    stamp_from_us,
)

__all__ = ['header', 'events_to_pointcloud2', 'bgr_to_image',
           'camera_info']

_POINT_FIELDS_MSG = [PointField(name=f.name, offset=f.offset, datatype=f.datatype,
                                count=f.count) for f in POINT_FIELDS]


def header(t_us: int, frame_id: str) -> Header:
    sec, nanosec = stamp_from_us(t_us)
    return Header(stamp=Time(sec=sec, nanosec=nanosec), frame_id=frame_id)


def events_to_pointcloud2(events: np.ndarray, stamp: int, frame_id: str) -> PointCloud2:
    """One packet; ``stamp`` (µs) is the packet's time, event ``t`` is relative to it."""
    points = encode_points(events, stamp)
    msg = PointCloud2(header=header(stamp, frame_id), fields=_POINT_FIELDS_MSG,
                      **packet_layout(points.size))
    # Assigning bytes skips the per-element checks of the array setter (common_interfaces#177).
    msg.data = points.tobytes()
    return msg


def bgr_to_image(image: np.ndarray, t_us: int, frame_id: str) -> Image:
    h, w = image.shape[:2]
    msg = Image(header=header(t_us, frame_id), height=h, width=w, encoding='bgr8',
                is_bigendian=0, step=w * 3)
    msg.data = np.ascontiguousarray(image).tobytes()
    return msg


def camera_info(sensor: SensorSize, t_us: int, frame_id: str) -> CameraInfo:
    return CameraInfo(header=header(t_us, frame_id), width=sensor.width, height=sensor.height)
