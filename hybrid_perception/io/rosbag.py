"""Events (and any topic) in rosbag2 bags, sqlite3 or MCAP, through rosbags — no ROS needed.

Events are our PointCloud2 packets or the event-camera drivers' event_camera_msgs/EventPacket
(a bag ``ros2 bag record`` made beside metavision_driver or libcaer_driver), read alike.

Bags written here carry the message definitions (MCAP) and metadata.yaml, so ``ros2 bag info``,
``ros2 bag play`` and Foxglove read them as they read a bag recorded by ``ros2 bag record``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import numpy as np

from hybrid_perception.errors import DataFormatError, EventFormatError
from hybrid_perception.events.array import SensorSize
from hybrid_perception.events.cdr import read_cloud, read_event_packet
from hybrid_perception.events.codecs import PacketStream, RawPacket, encode_packet
from hybrid_perception.events.pointcloud import (
    POINT_FIELDS,
    encode_points,
    packet_layout,
    stamp_from_us,
)
from hybrid_perception.geometry.calibration import CameraCalibration

__all__ = [
    'POINTCLOUD2', 'EVENT_PACKET', 'CAMERA_INFO', 'typestore', 'open_bag_writer', 'EventBagWriter',
    'EventBagReader',
]

POINTCLOUD2 = 'sensor_msgs/msg/PointCloud2'
EVENT_PACKET = 'event_camera_msgs/msg/EventPacket'
CAMERA_INFO = 'sensor_msgs/msg/CameraInfo'
_BAG_VERSION = 8  # the oldest rosbags writes; read by every ROS 2 distribution from Humble on


def typestore():
    """The message definitions of the ROS 2 distribution our wheels come from (Kilted), and
    ours and EventPacket (:mod:`hybrid_perception.io.message_types`)."""
    from rosbags.typesys import Stores, get_typestore

    from hybrid_perception.io.message_types import register
    store = get_typestore(Stores.ROS2_KILTED)
    register(store)
    return store


def open_bag_writer(path: str | Path, storage: str = 'mcap'):
    """An opened ``rosbags.rosbag2.Writer``; ``storage`` is 'mcap' or 'sqlite3'."""
    from rosbags.rosbag2 import StoragePlugin, Writer
    plugins = {'mcap': StoragePlugin.MCAP, 'sqlite3': StoragePlugin.SQLITE3}
    if storage not in plugins:
        raise ValueError(f"storage must be one of {sorted(plugins)}, got {storage!r}")
    if Path(path).exists():
        raise FileExistsError(f'{path} exists; a bag is never overwritten')
    writer = Writer(path, version=_BAG_VERSION, storage_plugin=plugins[storage])
    writer.open()
    return writer


@dataclass
class _Camera:
    """One camera's topics in a bag being written; its CameraInfo goes out with its first
    packet. ``intrinsics`` is the 3x3 K when the camera is calibrated."""

    events: object
    info: object | None
    sensor: SensorSize
    frame_id: str
    intrinsics: np.ndarray | None = None
    packets: int = 0


class EventBagWriter:
    """Writes event packets as the ``events`` contract (PointCloud2, or with ``encoding`` set,
    event_camera_msgs/EventPacket in that encoding) plus camera_info.

    ``camera_info_topic=None`` writes events only, as some third-party bags are. More cameras
    (a stereo rig, DHP19's views) are added with :meth:`add_camera` and written by topic.
    """

    def __init__(self, path: str | Path, sensor: SensorSize, *, storage: str = 'mcap',
                 topic: str = '/events', camera_info_topic: str | None = '/camera_info',
                 frame_id: str = 'camera', intrinsics: np.ndarray | None = None,
                 encoding: str | None = None) -> None:
        self.encoding = encoding
        self._events_type = POINTCLOUD2 if encoding is None else EVENT_PACKET
        self._store = typestore()
        self._writer = open_bag_writer(path, storage)
        self._cameras: dict[str, _Camera] = {}
        self._others: dict[str, object] = {}
        self.topic = topic
        self.add_camera(topic, sensor, camera_info_topic=camera_info_topic, frame_id=frame_id,
                        intrinsics=intrinsics)

    def add_camera(self, topic: str, sensor: SensorSize, *, camera_info_topic: str | None,
                   frame_id: str, intrinsics: np.ndarray | None = None) -> None:
        """Another event camera; :meth:`write` to it with ``topic=``."""
        if topic in self._cameras:
            raise ValueError(f'{topic} is already a camera of this bag')
        self._cameras[topic] = _Camera(
            self._writer.add_connection(topic, self._events_type, typestore=self._store),
            None if camera_info_topic is None else self._writer.add_connection(
                camera_info_topic, CAMERA_INFO, typestore=self._store),
            sensor, frame_id, intrinsics)

    @property
    def sensor(self) -> SensorSize:
        return self._cameras[self.topic].sensor

    @property
    def frame_id(self) -> str:
        return self._cameras[self.topic].frame_id

    @property
    def types(self) -> dict:
        """Message classes by type name, ours included, for :meth:`write_message`."""
        return self._store.types

    def write_message(self, topic: str, msgtype: str, message, stamp_us: int) -> None:
        """Any other message (ground truth beside the events), its definition embedded."""
        if topic not in self._others:
            self._others[topic] = self._writer.add_connection(topic, msgtype,
                                                              typestore=self._store)
        self._write(self._others[topic], message, msgtype, stamp_us)

    def write(self, events: np.ndarray, stamp_us: int | None = None, *,
              topic: str | None = None) -> None:
        """One packet of camera ``topic`` (the first camera's by default); its stamp is the
        first event's time unless given."""
        camera = self._cameras[topic or self.topic]
        if stamp_us is None:
            stamp_us = int(events['timestamp'][0]) if events.size else 0
        header = self.header(stamp_us, camera.frame_id)
        if camera.info is not None:  # once, at the start
            self._write(camera.info, self._camera_info(header, camera), CAMERA_INFO, stamp_us)
            camera.info = None
        if self.encoding is None:
            message = self._pointcloud(events, header, stamp_us)
        else:
            message = self._event_packet(events, camera, stamp_us)
        camera.packets += 1
        self._write(camera.events, message, self._events_type, stamp_us)

    def close(self) -> None:
        self._writer.close()

    def __enter__(self) -> EventBagWriter:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def _write(self, connection, message, msgtype: str, stamp_us: int) -> None:
        self._writer.write(connection, stamp_us * 1000,
                           self._store.serialize_cdr(message, msgtype))

    def header(self, stamp_us: int, frame_id: str | None = None):
        """A Header at ``stamp_us`` in ``frame_id`` (the first camera's frame by default)."""
        types = self._store.types
        sec, nanosec = stamp_from_us(stamp_us)
        return types['std_msgs/msg/Header'](
            stamp=types['builtin_interfaces/msg/Time'](sec=sec, nanosec=nanosec),
            frame_id=self.frame_id if frame_id is None else frame_id)

    def _pointcloud(self, events: np.ndarray, header, stamp_us: int):
        types = self._store.types
        field = types['sensor_msgs/msg/PointField']
        points = encode_points(events, stamp_us)
        return types[POINTCLOUD2](
            header=header, data=points.view(np.uint8), **packet_layout(points.size),
            fields=[field(name=f.name, offset=f.offset, datatype=f.datatype, count=f.count)
                    for f in POINT_FIELDS])

    def _event_packet(self, events: np.ndarray, camera: _Camera, stamp_us: int):
        """Stamped, as metavision_driver stamps, with the first event's time."""
        packet = encode_packet(events, self.encoding, camera.sensor.width, camera.sensor.height,
                               camera.packets, None if events.size else stamp_us)
        return self._store.types[EVENT_PACKET](
            header=self.header(packet.stamp_us, camera.frame_id), height=packet.height,
            width=packet.width, seq=packet.seq, time_base=packet.time_base,
            encoding=packet.encoding, is_bigendian=False,
            events=np.frombuffer(packet.data, np.uint8))

    def _camera_info(self, header, camera: _Camera):
        """Size always; K, R = I and P = K [I | 0] when calibrated (all zeros when not, which
        is how ROS says 'uncalibrated')."""
        types = self._store.types
        k, r, p = np.zeros(9), np.zeros(9), np.zeros(12)
        if camera.intrinsics is not None:
            k, r = np.asarray(camera.intrinsics, np.float64).ravel(), np.eye(3).ravel()
            p = np.hstack([camera.intrinsics, np.zeros((3, 1))]).ravel()
        return types[CAMERA_INFO](
            header=header, height=camera.sensor.height, width=camera.sensor.width,
            distortion_model='plumb_bob' if camera.intrinsics is not None else '',
            d=np.zeros(5 if camera.intrinsics is not None else 0), k=k, r=r, p=p,
            binning_x=0, binning_y=0,
            roi=types['sensor_msgs/msg/RegionOfInterest'](
                x_offset=0, y_offset=0, height=0, width=0, do_rectify=False))


class EventBagReader:
    """Event packets of one PointCloud2 or EventPacket topic of a bag (sqlite3 or MCAP), in
    bag order.

    The sensor size comes from the bag's CameraInfo topic when it has one, else from the
    first EventPacket, else from ``sensor``; without any it is an error, because nothing
    downstream can size its tensors. EventPacket words that do not decode (and lost packets)
    are counted in ``packets`` (a :class:`PacketStream`); the events around them are kept.
    """

    format = 'rosbag2'

    def __init__(self, path: str | Path, *, topic: str | None = None,
                 sensor: SensorSize | None = None) -> None:
        from rosbags.rosbag2 import Reader
        self.path = Path(path)
        self._store = typestore()
        try:
            self._reader = Reader(self.path)
            self._reader.open()
        except Exception as err:  # rosbags raises its own types, plus OSError/KeyError
            hint = ''
            if self.path.is_dir() and not (self.path / 'metadata.yaml').exists() and \
                    any(self.path.glob('*.mcap')):
                hint = (' (no metadata.yaml: its recorder died before closing it? '
                        f'`hybrid-perception salvage {self.path}` mends it)')
            raise EventFormatError(f'{self.path}: not a readable rosbag2 bag: {err}{hint}') \
                from err
        streams = [c for c in self._reader.connections if c.msgtype in (POINTCLOUD2, EVENT_PACKET)
                   and (topic is None or c.topic == topic)]
        if not streams:
            raise EventFormatError(f'{self.path}: no PointCloud2 or EventPacket topic '
                                   f'{topic or ""} in the bag')
        self.connection = streams[0]
        self.topic = self.connection.topic
        self.packets = PacketStream()
        self.camera_info = self._read_camera_info()
        #: the bag's own calibration, when its CameraInfo holds one
        self.calibration = None
        if self.camera_info is not None:
            sensor = SensorSize(int(self.camera_info.width), int(self.camera_info.height))
            self.calibration = CameraCalibration.of_camera_info(
                self.camera_info, f'{self.path} ({self._camera_info_topic})')
        elif self.connection.msgtype == EVENT_PACKET:
            sensor = next((SensorSize(p.width, p.height) for p in self.recorded_packets()), sensor)
        self.sensor = sensor
        if self.sensor is None:
            raise EventFormatError(f'{self.path}: no CameraInfo topic to size the sensor; '
                                   f'give the sensor size explicitly')

    def __iter__(self) -> Iterator[np.ndarray]:
        if self.connection.msgtype == EVENT_PACKET:
            for packet in self.recorded_packets():
                yield self.packets.push(packet)[0]
            return
        for raw in self._messages(self.connection):
            yield self._read(read_cloud, raw).events()

    @property
    def encoding(self) -> str | None:
        """The EventPacket bag's encoding (its first packet's); None for PointCloud2."""
        if self.connection.msgtype != EVENT_PACKET:
            return None
        return next((p.encoding for p in self.recorded_packets()), None)

    def recorded_packets(self) -> Iterator[RawPacket]:
        """An EventPacket bag's messages, their fields read from their bytes, undecoded."""
        for raw in self._messages(self.connection):
            yield self._read(read_event_packet, raw)[0]

    def _read(self, reader, raw: bytes):
        """A message read by :mod:`hybrid_perception.events.cdr` (a tenth of the time of
        rosbags' deserialiser); naming the bag in the error."""
        try:
            return reader(raw)
        except DataFormatError as err:
            raise EventFormatError(f'{self.path}: undecodable message: {err}') from err

    def _deserialize(self, raw: bytes, msgtype: str):
        try:
            return self._store.deserialize_cdr(raw, msgtype)
        except Exception as err:  # rosbags' deserialiser on corrupt bytes: any type
            raise EventFormatError(f'{self.path}: undecodable message: {err}') from err

    def _messages(self, connection) -> Iterator[bytes]:
        """Raw messages of one connection; a corrupt bag raises EventFormatError."""
        try:
            for _, _, raw in self._reader.messages(connections=[connection]):
                yield raw
        except Exception as err:  # rosbags on corrupt data: OverflowError, struct.error ...
            raise EventFormatError(f'{self.path}: unreadable bag data: {err}') from err

    def close(self) -> None:
        self._reader.close()

    def _read_camera_info(self):
        """The first CameraInfo of this camera: the one beside the events topic
        (``<namespace>/camera_info``) when the bag has several cameras, else the only one."""
        infos = [c for c in self._reader.connections if c.msgtype == CAMERA_INFO]
        beside = f'{self.topic.rsplit("/", 1)[0]}/camera_info'
        infos = [c for c in infos if c.topic == beside] or infos
        if not infos:  # (no connections would mean all of them to rosbags)
            return None
        self._camera_info_topic = infos[0].topic
        for raw in self._messages(infos[0]):
            try:
                return self._store.deserialize_cdr(raw, CAMERA_INFO)
            except Exception as err:
                raise EventFormatError(f'{self.path}: undecodable CameraInfo: {err}') from err
        return None
