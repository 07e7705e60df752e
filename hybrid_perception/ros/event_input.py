"""What every node that reads ``events`` shares: its parameters, the subscriptions, fitting
the camera's sensor into the model's input, and the checks a packet passes before a network
sees it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from rclpy.node import Node
from sensor_msgs.msg import CameraInfo, PointCloud2

from hybrid_perception.errors import EventFormatError, HybridPerceptionError
from hybrid_perception.events.array import EventSanitizer, SensorSize
from hybrid_perception.events.fitting import SensorFit
from hybrid_perception.events.pointcloud import pointcloud_to_events
from hybrid_perception.ros.diagnostics import InputHealth
from hybrid_perception.ros.qos import RESULTS_QOS, stream_qos

__all__ = ['EVENT_INPUT_PARAMETERS', 'EventInput', 'push_resetting_after_gaps']

EVENT_INPUT_PARAMETERS = {
    'reliability': ('best_effort', 'events QoS: best_effort (matches any driver) or reliable '
                                   '(lossless replay)'),
    'max_gap_s': (1.0, 'a longer silence in the events starts the node over from rest'),
    'sensor_size': ([0, 0], 'the camera\'s width, height; [0, 0]: from camera_info (until one '
                            'arrives, the model\'s input size)'),
    'roi': ([0, 0, 0, 0], 'region of interest x, y, width, height on the camera; a zero '
                          'width: the whole sensor'),
    'downsample': (0, 'pixel blocks binned into one (0: the smallest that fits the region '
                      'into the model\'s input); the result is centred in it'),
}


class EventInput:
    """Subscribes ``events`` (and ``camera_info``, for the camera's size) and hands
    ``callback(events, msg)`` every packet's events mapped into the model's input
    (:class:`~hybrid_perception.events.fitting.SensorFit`), on the sensor and going forward in
    time; events outside the region of interest are counted as cropped, a malformed packet and
    events that do not fit are logged and counted in ``health``."""

    def __init__(self, node: Node, sensor: SensorSize, parameters: dict[str, Any],
                 health: InputHealth,
                 callback: Callable[[np.ndarray, PointCloud2], None]) -> None:
        if parameters['reliability'] not in ('best_effort', 'reliable'):
            raise HybridPerceptionError('reliability must be best_effort or reliable')
        if len(parameters['sensor_size']) != 2 or len(parameters['roi']) != 4:
            raise HybridPerceptionError('sensor_size takes [width, height], roi [x, y, width, '
                                        'height]')
        self.node = node
        self.sensor = sensor
        self.parameters = parameters
        self.sanitizer = EventSanitizer(sensor)
        self.health = health
        self.callback = callback
        self.cropped = 0
        width, height = parameters['sensor_size']
        try:
            self.fit = self._fit(SensorSize(width, height) if width and height else sensor)
        except ValueError as err:
            raise HybridPerceptionError(f'roi, downsample: {err}') from err
        node.create_subscription(PointCloud2, 'events', self._on_events,
                                 stream_qos(parameters['reliability'], live=False))
        if not (width and height):
            node.create_subscription(CameraInfo, 'camera_info', self._on_camera_info,
                                     RESULTS_QOS)

    @property
    def dropped(self) -> int:
        return self.sanitizer.drops.total

    def figures(self) -> dict[str, Any]:
        """For ``/diagnostics``: the fit in use and the events it cropped."""
        return {'input_fit': str(self.fit), 'cropped_events': self.cropped}

    def _fit(self, camera: SensorSize) -> SensorFit:
        """The configured fit of ``camera`` into the model's input, said in one line."""
        x, y, w, h = self.parameters['roi']
        fit = SensorFit(camera, self.sensor, (x, y, w, h) if w and h else None,
                        self.parameters['downsample'])   # ValueError: refused by the caller
        if not fit.identity:
            self.node.get_logger().info(f'input: {fit}')
        return fit

    def _on_camera_info(self, msg: CameraInfo) -> None:
        if (msg.width, msg.height) == (self.fit.sensor.width, self.fit.sensor.height):
            return
        try:
            self.fit = self._fit(SensorSize(msg.width, msg.height))
        except ValueError as err:
            self.health.bad(f'camera_info {msg.width}x{msg.height}: {err}; keeping '
                            f'{self.fit.sensor.width}x{self.fit.sensor.height}')

    def _on_events(self, msg: PointCloud2) -> None:
        try:
            fitted, cropped = self.fit(pointcloud_to_events(msg))
            events, drops = self.sanitizer(fitted)
        except EventFormatError as err:
            self.health.bad(f'malformed events message: {err}')
            return
        self.cropped += cropped
        if drops.total:
            self.health.bad(f'dropped {drops.out_of_bounds} events outside the '
                            f'{self.fit.sensor.width}x{self.fit.sensor.height} sensor and '
                            f'{drops.backwards_in_time} going back in time')
        self.callback(events, msg)


def push_resetting_after_gaps(node: Node, cutter: Any, events: np.ndarray, stamp_us: int,
                              reset: Callable[[], None]) -> list:
    """``cutter.push`` (an ``EventWindows`` or the like, counting ``restarts``); when the packet
    ends a silence longer than its gap, ``reset`` runs first: the network's state belongs to
    the scene before the silence."""
    restarts = cutter.restarts
    pieces = cutter.push(events, stamp_us)
    if cutter.restarts != restarts:
        reset()
        node.get_logger().info('events resumed after a gap: network reset to rest')
    return pieces
