"""What every node that reads ``events`` shares: two parameters, the subscription, and the
checks a packet passes before a network sees it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from rclpy.node import Node
from sensor_msgs.msg import PointCloud2

from hybrid_perception.errors import EventFormatError, HybridPerceptionError
from hybrid_perception.events.array import EventSanitizer, SensorSize
from hybrid_perception.events.pointcloud import pointcloud_to_events
from hybrid_perception.ros.diagnostics import InputHealth
from hybrid_perception.ros.qos import stream_qos

__all__ = ['EVENT_INPUT_PARAMETERS', 'EventInput', 'push_resetting_after_gaps']

EVENT_INPUT_PARAMETERS = {
    'reliability': ('best_effort', 'events QoS: best_effort (matches any driver) or reliable '
                                   '(lossless replay)'),
    'max_gap_s': (1.0, 'a longer silence in the events starts the node over from rest'),
}


class EventInput:
    """Subscribes ``events`` and hands ``callback(events, msg)`` every packet's events that fit
    the sensor and go forward in time; a malformed packet, or events that do not, are logged
    and counted in ``health``."""

    def __init__(self, node: Node, sensor: SensorSize, parameters: dict[str, Any],
                 health: InputHealth,
                 callback: Callable[[np.ndarray, PointCloud2], None]) -> None:
        if parameters['reliability'] not in ('best_effort', 'reliable'):
            raise HybridPerceptionError('reliability must be best_effort or reliable')
        self.sensor = sensor
        self.sanitizer = EventSanitizer(sensor)
        self.health = health
        self.callback = callback
        node.create_subscription(PointCloud2, 'events', self._on_events,
                                 stream_qos(parameters['reliability'], live=False))

    @property
    def dropped(self) -> int:
        return self.sanitizer.drops.total

    def _on_events(self, msg: PointCloud2) -> None:
        try:
            events, drops = self.sanitizer(pointcloud_to_events(msg))
        except EventFormatError as err:
            self.health.bad(f'malformed events message: {err}')
            return
        if drops.total:
            self.health.bad(f'dropped {drops.out_of_bounds} events outside the model\'s '
                            f'{self.sensor.width}x{self.sensor.height} sensor and '
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
