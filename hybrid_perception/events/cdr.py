"""The events messages read from and written to their serialized bytes (CDR, as DDS carries
them and rosbag2 stores them), without building a message object.

rclpy turns every message into Python objects before a callback sees it (a header, a time,
a PointField per field, the data copied into an array) and back again to publish it; at the
1000 packets a second an event-camera driver sends, that was the larger part of a node's
time. A ``raw=True`` subscription hands over the bytes instead: the few fields a reader needs
are read here, and the points or words stay where they are (a numpy view of the buffer, no
copy). Layouts: sensor_msgs/PointCloud2 and event_camera_msgs/EventPacket in plain CDR
(XCDR1, what rmw_fastrtps and rosbags write), little- or big-endian as the encapsulation
header says; alignment counts from the end of that 4-byte header.
"""

from __future__ import annotations

import struct
from typing import NamedTuple

import numpy as np

from hybrid_perception.errors import DataFormatError
from hybrid_perception.events.pointcloud import (
    POINT_DTYPE,
    POINT_FIELDS,
    PointField,
    cloud_events,
    encode_points,
)

__all__ = ['CdrReader', 'CloudPacket', 'cdr_header', 'read_cloud', 'read_event_packet',
           'write_cloud', 'write_event_packet']

_LITTLE, _BIG = b'\x00\x01', b'\x00\x00'   # CDR_LE, CDR_BE encapsulation kinds


class CloudPacket(NamedTuple):
    """What a reader needs of one sensor_msgs/PointCloud2: its header and its points."""

    stamp_us: int
    frame_id: str
    height: int
    width: int
    fields: tuple[PointField, ...]
    is_bigendian: bool
    point_step: int
    row_step: int
    data: memoryview

    def events(self) -> np.ndarray:
        """The packet's events (:func:`~hybrid_perception.events.pointcloud.cloud_events`)."""
        return cloud_events(self.data, self.fields, self.point_step, self.height, self.width,
                            self.row_step, self.stamp_us, bigendian=self.is_bigendian)


#: per byte order: the fixed-size runs of each layout
_STRUCTS = {order: {fmt: struct.Struct(order + fmt) for fmt in ('I', 'iI', 'IB', 'II', 'HH',
                                                                'QQ', '?')}
            for order in '<>'}


class CdrReader:
    """A cursor over one CDR buffer (any message type: the ROS layer reads its PoseArrays
    with it too); any read past its end is a truncated message."""

    __slots__ = ('buffer', 'what', 'order', 'structs', 'pos')

    def __init__(self, raw: bytes | memoryview, what: str) -> None:
        self.buffer = memoryview(raw).cast('B')
        self.what = what
        kind = bytes(self.buffer[:2])
        if len(self.buffer) < 4 or kind not in (_LITTLE, _BIG):
            raise DataFormatError(f'{what}: not a CDR message (encapsulation '
                                   f'{bytes(self.buffer[:4]).hex()})')
        self.order = '<' if kind == _LITTLE else '>'    # the numpy / struct byte order
        self.structs = _STRUCTS[self.order]
        self.pos = 4

    def take(self, fmt: str, align: int) -> tuple:
        layout = self.structs[fmt]
        self.align(align)
        try:
            values = layout.unpack_from(self.buffer, self.pos)
        except struct.error as err:
            raise DataFormatError(f'{self.what} cut short at byte {self.pos} of '
                                   f'{len(self.buffer)}') from err
        self.pos += layout.size
        return values

    def string(self) -> str:
        return bytes(self.sequence()).rstrip(b'\0').decode('utf-8', 'replace')

    def align(self, n: int) -> None:
        self.pos += -(self.pos - 4) % n

    def sequence(self) -> memoryview:
        """A uint8[] (or a string's bytes): a view of the buffer, not a copy."""
        (n,) = self.take('I', 4)
        if n > len(self.buffer) - self.pos:
            raise DataFormatError(f'{self.what}: a {n}-byte array at byte {self.pos} runs past '
                                   f'the message\'s {len(self.buffer)} bytes')
        self.pos += n
        return self.buffer[self.pos - n:self.pos]

    def stamp_and_frame(self) -> tuple[int, str]:
        sec, nanosec = self.take('iI', 4)
        return sec * 1_000_000 + nanosec // 1000, self.string()


def read_cloud(raw: bytes | memoryview) -> CloudPacket:
    """One serialized sensor_msgs/PointCloud2; DataFormatError if it is not one."""
    r = CdrReader(raw, 'PointCloud2')
    stamp_us, frame_id = r.stamp_and_frame()
    height, width = r.take('II', 4)
    end = r.pos + len(_FIELDS_BLOCK)
    if r.structs is _STRUCTS['<'] and int.from_bytes(r.buffer[r.pos:end], 'little') \
            & _FIELDS_KEY_MASK == _FIELDS_KEY:     # our driver's fields: one comparison
        r.pos = end
        return CloudPacket(stamp_us, frame_id, height, width, POINT_FIELDS, False,
                           *r.take('II', 4), r.sequence())
    (n_fields,) = r.take('I', 4)
    if n_fields > len(r.buffer):
        raise DataFormatError(f'PointCloud2 claims {n_fields} fields in {len(r.buffer)} bytes')
    fields = []
    for _ in range(n_fields):
        name = r.string()
        offset, datatype = r.take('IB', 4)
        fields.append(PointField(name, offset, datatype, r.take('I', 4)[0]))
    fields = tuple(fields)
    (bigendian,) = r.take('?', 1)
    point_step, row_step = r.take('II', 4)
    data = r.sequence()
    return CloudPacket(stamp_us, frame_id, height, width,
                       POINT_FIELDS if fields == POINT_FIELDS else fields,
                       bigendian, point_step, row_step, data)


def read_event_packet(raw: bytes | memoryview):
    """One serialized event_camera_msgs/EventPacket as a
    :class:`~hybrid_perception.events.codecs.packets.RawPacket` (its words a view of
    ``raw``), and its frame_id; DataFormatError if it is not one."""
    from hybrid_perception.events.codecs.packets import RawPacket
    r = CdrReader(raw, 'EventPacket')
    stamp_us, frame_id = r.stamp_and_frame()
    height, width = r.take('HH', 2)
    seq, time_base = r.take('QQ', 8)
    encoding = r.string()
    (bigendian,) = r.take('?', 1)
    words = r.sequence()
    return RawPacket(encoding, width, height, words, time_base, seq, stamp_us, bigendian), \
        frame_id


def write_event_packet(packet, frame_id: str) -> bytes:
    """One :class:`~hybrid_perception.events.codecs.packets.RawPacket` as a serialized
    event_camera_msgs/EventPacket, read back by :func:`read_event_packet` and every reader of
    the type (the words are copied once, into the message)."""
    out = bytearray(cdr_header(packet.stamp_us, frame_id, align=2))
    encoding = packet.encoding.encode() + b'\0'
    for part, align in ((struct.pack('<HH', packet.height, packet.width), 2),
                        (struct.pack('<QQ', packet.seq, packet.time_base), 8),
                        (struct.pack('<I', len(encoding)) + encoding, 4),
                        (struct.pack('<?', packet.is_bigendian), 1),
                        (struct.pack('<I', len(packet.data)), 4)):
        out += bytes(-(len(out) - 4) % align) + part
    return b''.join((out, packet.data))


def cdr_header(stamp_us: int, frame_id: str, align: int = 4) -> bytes:
    """Encapsulation, stamp and frame_id, padded to ``align`` (that of the field after the
    header)."""
    sec, usec = divmod(int(stamp_us), 1_000_000)
    name = frame_id.encode() + b'\0'
    out = _LITTLE + b'\0\0' + struct.pack('<iII', sec, usec * 1000, len(name)) + name
    return out + bytes(-(len(out) - 4) % align)


def _fields_block() -> tuple[bytes, bytes]:
    """Our layout's PointCloud2 from the field count to ``point_step`` (exclusive; everything
    4-aligned throughout), and a mask of the bytes that are not padding: a writer leaves
    padding as it finds it (rmw_fastrtps: whatever was in its buffer)."""
    out, mask = bytearray(), bytearray()

    def put(data: bytes, padding: int = 0) -> None:
        out.extend(data + bytes(padding))
        mask.extend(b'\xff' * len(data) + bytes(padding))
    put(struct.pack('<I', len(POINT_FIELDS)))
    for f in POINT_FIELDS:
        name = f.name.encode() + b'\0'
        put(struct.pack('<I', len(name)) + name, -len(name) % 4)
        put(struct.pack('<IB', f.offset, f.datatype), 3)
        put(struct.pack('<I', f.count))
    put(b'\0', 3)                           # is_bigendian, padding to point_step
    return bytes(out), bytes(mask)


_FIELDS_BLOCK, _FIELDS_MASK = _fields_block()
#: our fields (is_bigendian false) as one number, to recognise them in one comparison
_FIELDS_KEY, _FIELDS_KEY_MASK = (int.from_bytes(b, 'little') for b in (_FIELDS_BLOCK,
                                                                       _FIELDS_MASK))


def write_cloud(events: np.ndarray, stamp_us: int, frame_id: str) -> bytes:
    """One packet as our driver's PointCloud2 (``t`` relative to ``stamp_us``), serialized:
    what ``Publisher.publish`` takes in place of a message (a fifth of the time rclpy takes
    to build and serialize one), read back by :func:`read_cloud` and every reader of the
    type."""
    points = encode_points(events, stamp_us)
    step, size = POINT_DTYPE.itemsize, points.nbytes
    return b''.join((cdr_header(stamp_us, frame_id), struct.pack('<II', 1, points.size),
                     _FIELDS_BLOCK, struct.pack('<III', step, size, size), points.tobytes(),
                     b'\x01'))
