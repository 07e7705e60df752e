"""What every node that reads ``events`` shares: its parameters, the subscriptions, fitting
the camera's sensor into the model's input, and the checks a packet passes before a network
sees it.

``events`` is our driver's sensor_msgs/PointCloud2 or, with ``events_type:=event_packet``,
the event-camera drivers' event_camera_msgs/EventPacket (metavision_driver, libcaer_driver),
decoded by :mod:`hybrid_perception.events.codecs`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from rclpy.node import Node
from sensor_msgs.msg import CameraInfo, PointCloud2

from hybrid_perception.errors import DataFormatError, EventFormatError, HybridPerceptionError
from hybrid_perception.events.array import EventSanitizer, SensorSize
from hybrid_perception.events.cdr import read_cloud, read_event_packet
from hybrid_perception.events.codecs import PacketStream, warm_up
from hybrid_perception.events.fitting import CameraCrop, SensorFit
from hybrid_perception.ros.diagnostics import InputHealth
from hybrid_perception.ros.qos import RESULTS_QOS, stream_qos

__all__ = ['EVENTS_TYPES', 'EVENT_INPUT_PARAMETERS', 'EventInput', 'event_packet_type',
           'push_resetting_after_gaps']

EVENTS_TYPES = ('point_cloud2', 'event_packet')
EVENT_INPUT_PARAMETERS = {
    'events_type': ('point_cloud2', 'message type of events: point_cloud2 (this package\'s '
                                    'driver) or event_packet (event_camera_msgs/EventPacket: '
                                    'metavision_driver, libcaer_driver)'),
    'reliability': ('best_effort', 'events QoS: best_effort (matches any driver) or reliable '
                                   '(lossless replay)'),
    'max_gap_s': (1.0, 'a longer silence in the events starts the node over from rest'),
    'sensor_size': ([0, 0], 'the camera\'s width, height; [0, 0]: from each EventPacket, or '
                            'from camera_info (until one arrives, the model\'s input size)'),
    'roi': ([0, 0, 0, 0], 'region of interest x, y, width, height on the camera; a zero '
                          'width: the model\'s own crop of that camera if it has one (a DHP19 '
                          'model on a DAVIS346), else the whole sensor'),
    'downsample': (0, 'pixel blocks binned into one (0: the smallest that fits the region '
                      'into the model\'s input); the result is centred in it'),
}


class EventInput:
    """Subscribes ``events`` (and, for PointCloud2, ``camera_info`` for the camera's size) and
    hands ``callback(events, stamp_us, frame_id)`` every packet's events mapped into the
    model's input (:class:`~hybrid_perception.events.fitting.SensorFit`), on the sensor and
    going forward in time, with the packet's header; events outside the region of interest
    are counted as cropped, a malformed packet and events that do not fit are logged and
    counted in ``health``.

    Packets are taken serialized and read by :mod:`hybrid_perception.events.cdr`, not built
    into messages by rclpy: at a camera driver's 1000 packets a second the messages' Python
    objects cost more than everything the node does with the events."""

    def __init__(self, node: Node, sensor: SensorSize, parameters: dict[str, Any],
                 health: InputHealth,
                 callback: Callable[[np.ndarray, int, str], None],
                 crop: CameraCrop | None = None) -> None:
        if parameters['reliability'] not in ('best_effort', 'reliable'):
            raise HybridPerceptionError('reliability must be best_effort or reliable')
        if parameters['events_type'] not in EVENTS_TYPES:
            raise HybridPerceptionError(f'events_type must be one of {", ".join(EVENTS_TYPES)}, '
                                        f'got {parameters["events_type"]!r}')
        if len(parameters['sensor_size']) != 2 or len(parameters['roi']) != 4:
            raise HybridPerceptionError('sensor_size takes [width, height], roi [x, y, width, '
                                        'height]')
        self.node = node
        self.sensor = sensor
        self.parameters = parameters
        self.crop = crop
        self.sanitizer = EventSanitizer(sensor,
                                        new_stream_us=int(parameters['max_gap_s'] * 1e6))
        self.health = health
        self.callback = callback
        self.cropped = 0
        width, height = parameters['sensor_size']
        try:
            self.fit = self._fit(SensorSize(width, height) if width and height else sensor)
        except ValueError as err:
            raise HybridPerceptionError(f'roi, downsample: {err}') from err
        self.size_given = bool(width and height)
        self.packets = PacketStream()
        qos = stream_qos(parameters['reliability'], live=False)
        if parameters['events_type'] == 'event_packet':
            warm_up()
            health.subscribe(event_packet_type(), 'events', self._on_packet, qos, raw=True)
            return
        health.subscribe(PointCloud2, 'events', self._on_cloud, qos, raw=True)
        if not self.size_given:
            health.subscribe(CameraInfo, 'camera_info', self._on_camera_info, RESULTS_QOS)

    @property
    def dropped(self) -> int:
        return self.sanitizer.drops.total

    def figures(self) -> dict[str, Any]:
        """For ``/diagnostics``: the fit in use, the events it cropped and, for EventPacket,
        the packets lost (``seq`` gaps) and what did not decode."""
        figures = {'input_fit': str(self.fit), 'cropped_events': self.cropped,
                   'new_streams': self.sanitizer.new_streams}
        if self.parameters['events_type'] == 'event_packet':
            counts = self.packets.counts
            figures.update(dropped_packets=self.packets.dropped_packets,
                           undecoded_words=counts.unknown_words + counts.trailing_bytes,
                           untimed_events=counts.untimed, clock_resyncs=self.packets.clock_resyncs)
        return figures

    def _fit(self, camera: SensorSize) -> SensorFit:
        """The configured fit of ``camera`` into the model's input, said in one line: the
        ``roi`` parameter, else the model's own crop of that camera (DHP19's), else all of it."""
        x, y, w, h = self.parameters['roi']
        roi = (x, y, w, h) if w and h else self.crop.roi_for(camera) if self.crop else None
        fit = SensorFit(camera, self.sensor, roi,
                        self.parameters['downsample'])   # ValueError: refused by the caller
        if not fit.identity:
            self.node.get_logger().info(f'input: {fit}')
        return fit

    def _on_camera_info(self, msg: CameraInfo) -> None:
        problem = self._camera_size(msg.width, msg.height, 'camera_info')
        if problem:
            self.health.bad(problem)

    def _camera_size(self, width: int, height: int, origin: str) -> str | None:
        """Fit the camera's size into the model's input; what was wrong with it, if anything
        (the fit in use is kept)."""
        if (width, height) == (self.fit.sensor.width, self.fit.sensor.height):
            return None
        try:
            self.fit = self._fit(SensorSize(width, height))
        except ValueError as err:
            return (f'{origin} {width}x{height}: {err}; keeping '
                    f'{self.fit.sensor.width}x{self.fit.sensor.height}')
        return None

    def _on_packet(self, raw: bytes) -> None:
        """An EventPacket: its sensor size (unless ``sensor_size`` is set), then its words.
        Whatever is wrong with one packet is one bad message, all of it said in one line."""
        try:
            packet, frame_id = read_event_packet(raw)
        except DataFormatError as err:
            self.health.bad(f'malformed EventPacket: {err}')
            return
        size = None if self.size_given else self._camera_size(packet.width, packet.height,
                                                               'EventPacket')
        problems = [size] if size else []
        lost = self.packets.dropped_packets
        try:
            events, counts = self.packets.push(packet)
        except EventFormatError as err:
            self.health.bad('; '.join([*problems, f'undecodable EventPacket: {err}']))
            return
        if self.packets.dropped_packets != lost:
            self.node.get_logger().warning(
                f'{self.packets.dropped_packets - lost} EventPacket(s) lost before seq '
                f'{packet.seq} ({self.packets.dropped_packets} so far)',
                throttle_duration_sec=5.0)
        if counts.unknown_words or counts.off_sensor or counts.trailing_bytes:
            problems.append(f'{packet.encoding} packet {packet.seq}: {counts} (its '
                            f'{events.size} good events kept)')
        self._deliver(events, packet.stamp_us, frame_id, problems)

    def _on_cloud(self, raw: bytes) -> None:
        try:
            cloud = read_cloud(raw)
            events = cloud.events()
        except DataFormatError as err:
            self.health.bad(f'malformed events message: {err}')
            return
        self._deliver(events, cloud.stamp_us, cloud.frame_id, [])

    def _deliver(self, events: np.ndarray, stamp_us: int, frame_id: str,
                 problems: list[str]) -> None:
        fitted, cropped = self.fit(events)
        streams = self.sanitizer.new_streams
        events, drops = self.sanitizer(fitted)
        if self.sanitizer.new_streams != streams:
            self.node.get_logger().info('events went back in time by more than max_gap_s: a '
                                        'new stream (its driver restarted?), taken from rest')
        self.cropped += cropped
        if drops.total:
            problems.append(f'dropped {drops.out_of_bounds} events outside the '
                            f'{self.fit.sensor.width}x{self.fit.sensor.height} sensor and '
                            f'{drops.backwards_in_time} going back in time')
        if problems:
            self.health.bad('; '.join(problems))
        self.callback(events, stamp_us, frame_id)


def event_packet_type() -> type:
    """event_camera_msgs/msg/EventPacket, or a clear error saying how to get it."""
    try:
        from event_camera_msgs.msg import EventPacket
    except ImportError as err:
        raise HybridPerceptionError(
            'events_type:=event_packet needs event_camera_msgs: install '
            'ros-$ROS_DISTRO-event-camera-msgs, or build third_party/event_camera_msgs with '
            'colcon (scripts/build-msgs.sh does, with the pip ROS 2)') from err
    return EventPacket


def push_resetting_after_gaps(node: Node, cutter: Any, events: np.ndarray, stamp_us: int,
                              reset: Callable[[], None], what: str = 'network reset to rest'
                              ) -> list:
    """``cutter.push`` (an ``EventWindows`` or the like, counting ``restarts``); when the packet
    ends a silence longer than its gap, ``reset`` runs first: the state it clears (``what``,
    said in the log) belongs to the scene before the silence."""
    restarts = cutter.restarts
    pieces = cutter.push(events, stamp_us)
    if cutter.restarts != restarts:
        reset()
        node.get_logger().info(f'events resumed after a gap: {what}')
    return pieces
