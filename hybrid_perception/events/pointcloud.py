"""The wire layout of the ``events`` topic (sensor_msgs/PointCloud2), without ROS.

One packet: fields ``x`` UINT16, ``y`` UINT16, ``t`` UINT32 (µs since the packet stamp),
``polarity`` UINT8, packed in 9-byte points, ``height`` 1, ``width`` = number of events.
The ROS layer wraps these bytes in a message; rosbags-written bags use the same bytes; so the
layout lives here, once. Decoding builds a numpy view over the message buffer from the
message's own field list, so packets from other drivers with padding or extra fields decode
too.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

import numpy as np

from hybrid_perception.errors import EventFormatError
from hybrid_perception.events.array import EVENT_DTYPE
from hybrid_perception.events.kernels import columns, decode_packed, encode_packed

__all__ = [
    'POINT_DTYPE', 'POINT_FIELDS', 'PointField', 'encode_points', 'decode_points', 'points_view',
    'stamp_from_us', 'us_from_stamp', 'packet_layout', 'cloud_events', 'pointcloud_to_events',
]

# sensor_msgs/PointField datatype codes and their numpy equivalents.
_DATATYPES = {1: 'i1', 2: 'u1', 3: '<i2', 4: '<u2', 5: '<i4', 6: '<u4', 7: '<f4', 8: '<f8'}
_CODES = {np.dtype(v): k for k, v in _DATATYPES.items()}


@dataclass(frozen=True)
class PointField:
    """Mirror of sensor_msgs/PointField (name, byte offset, datatype code, count)."""

    name: str
    offset: int
    datatype: int
    count: int = 1


POINT_DTYPE = np.dtype([('x', '<u2'), ('y', '<u2'), ('t', '<u4'), ('polarity', 'u1')])
POINT_FIELDS = tuple(
    PointField(name, POINT_DTYPE.fields[name][1], _CODES[POINT_DTYPE.fields[name][0]])
    for name in POINT_DTYPE.names
)
_UINT32_SPAN = 1 << 32


def encode_points(events: np.ndarray, stamp_us: int) -> np.ndarray:
    """Pack events into the wire layout; ``t`` is relative to ``stamp_us``.

    Returns a contiguous POINT_DTYPE array whose buffer is the message's ``data``.
    """
    points = np.empty(events.shape[0], dtype=POINT_DTYPE)
    if events.size:
        low, high = encode_packed(*columns(events), stamp_us, points.view(np.uint8))
        if low < 0 or high >= _UINT32_SPAN:
            raise EventFormatError(
                f'event timestamps must lie in [stamp, stamp + 2^32 µs) to be encoded; got '
                f'{low}..{high} µs relative to stamp {stamp_us}')
    return points


def points_view(data, fields, point_step: int, n_points: int, *, bigendian: bool = False
                ) -> np.ndarray:
    """Zero-copy structured view of a PointCloud2 buffer, typed from its own field list
    (in the message's byte order)."""
    buffer = memoryview(data).cast('B')
    if point_step <= 0 or n_points < 0 or len(buffer) < point_step * n_points:
        raise EventFormatError(
            f'PointCloud2 data holds {len(buffer)} bytes, expected {n_points} points x '
            f'{point_step} bytes')
    names, formats, offsets = [], [], []
    for f in fields:
        if f.datatype not in _DATATYPES:
            raise EventFormatError(f'field {f.name!r} has unknown datatype {f.datatype}')
        if f.offset + np.dtype(_DATATYPES[f.datatype]).itemsize * max(f.count, 1) > point_step:
            raise EventFormatError(f'field {f.name!r} lies outside the {point_step}-byte point')
        names.append(f.name)
        numpy_type = np.dtype(_DATATYPES[f.datatype]).newbyteorder('>' if bigendian else '<')
        formats.append(numpy_type if f.count <= 1 else (numpy_type, f.count))
        offsets.append(f.offset)
    try:
        dtype = np.dtype({'names': names, 'formats': formats, 'offsets': offsets,
                          'itemsize': point_step})
    except (ValueError, TypeError) as err:
        raise EventFormatError(f'PointCloud2 fields do not form a valid layout: {err}') from err
    return np.frombuffer(buffer, dtype=dtype, count=n_points)


def decode_points(view: np.ndarray, stamp_us: int) -> np.ndarray:
    """Events from a points view (see :func:`points_view`); ``t`` is relative to the stamp."""
    if view.dtype == POINT_DTYPE:  # our own layout: one compiled pass
        out = np.empty(view.shape[0] * EVENT_DTYPE.itemsize, np.uint8)
        decode_packed(view.view(np.uint8), stamp_us, out)
        return out.view(EVENT_DTYPE)
    missing = {'x', 'y', 't', 'polarity'} - set(view.dtype.names or ())
    if missing:
        raise EventFormatError(f'PointCloud2 lacks event field(s) {sorted(missing)}')
    spans = []
    for name in ('x', 'y', 't', 'polarity'):
        kind, offset = view.dtype.fields[name][:2]
        if kind.kind not in 'iu' or kind.shape:
            raise EventFormatError(f'PointCloud2 field {name!r} is {kind}; events need one '
                                   f'integer')
        spans.append((offset, offset + kind.itemsize, name))
    for (_, end, name), (start, _, other) in pairwise(sorted(spans)):
        if start < end:
            raise EventFormatError(f'PointCloud2 fields {name!r} and {other!r} overlap')
    events = np.empty(view.shape[0], dtype=EVENT_DTYPE)
    events['timestamp'] = view['t']
    events['timestamp'] += stamp_us
    events['x'] = view['x']
    events['y'] = view['y']
    events['polarity'] = view['polarity'] != 0
    return events


def stamp_from_us(t_us: int) -> tuple[int, int]:
    """(sec, nanosec) of a header stamp for a time in µs."""
    sec, rest = divmod(int(t_us), 1_000_000)
    return sec, rest * 1000


def us_from_stamp(sec: int, nanosec: int) -> int:
    """µs of a header stamp; sub-µs parts are truncated (events are µs-resolved)."""
    return int(sec) * 1_000_000 + int(nanosec) // 1000


def packet_layout(n_points: int) -> dict:
    """The size fields of one events PointCloud2 of ``n_points`` (for any message class)."""
    return dict(height=1, width=n_points, is_bigendian=False, point_step=POINT_DTYPE.itemsize,
                row_step=POINT_DTYPE.itemsize * n_points, is_dense=True)


def cloud_events(data, fields, point_step: int, height: int, width: int, row_step: int,
                 stamp_us: int, *, bigendian: bool = False) -> np.ndarray:
    """Events of a PointCloud2 given by its parts (a message's, or
    :class:`~hybrid_perception.events.cdr.CloudPacket`'s read from its bytes).

    The data must be exactly ``height`` rows of ``width`` points: a size that disagrees with
    the header is a malformed message, not a hint to decode part of it. ``fields`` being
    :data:`POINT_FIELDS` itself (our driver's, as the byte reader recognises them) skips
    building a layout from the field list."""
    n_points, size = width * height, len(memoryview(data).cast('B'))
    if size != point_step * n_points or row_step != point_step * width:
        raise EventFormatError(
            f'PointCloud2 data holds {size} bytes, but its header says {height} x '
            f'{width} points of {point_step} bytes (row_step {row_step})')
    if fields is POINT_FIELDS and point_step == POINT_DTYPE.itemsize and not bigendian:
        view = np.frombuffer(data, POINT_DTYPE, n_points)
    else:
        view = points_view(data, fields, point_step, n_points, bigendian=bigendian)
    return decode_points(view, stamp_us)


def pointcloud_to_events(msg) -> np.ndarray:
    """Events of a PointCloud2, from rclpy or from rosbags: both have the same fields."""
    return cloud_events(msg.data, msg.fields, msg.point_step, msg.height, msg.width,
                        msg.row_step, us_from_stamp(msg.header.stamp.sec,
                                                    msg.header.stamp.nanosec),
                        bigendian=bool(msg.is_bigendian))
