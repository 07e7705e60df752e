"""Replaying events through the live H1 graph and timing every stage as a subscriber sees it.

The replayer publishes aligned packets paced on the wall clock (``rate`` x real time) and
notes when each went out; it hears ``snn/spikes``, ``features`` and ``classification`` and
notes when each arrived. Every output carries the stamp of its window's end, so each stage's
latency is measured from the packet that completed the window: the first one stamped at or
after that end (a window cannot be closed before the stream has passed it).
"""

from __future__ import annotations

import bisect
import time
from dataclasses import dataclass, field

import numpy as np
from rclpy.node import Node
from sensor_msgs.msg import Image, PointCloud2

from hybrid_perception.hybrid.evaluation import Decision
from hybrid_perception.ros.conversions import events_to_pointcloud2, image_to_matrix, stamp_us
from hybrid_perception.ros.qos import RESULTS_QOS, stream_qos

__all__ = ['STAGE_TOPICS', 'LiveRun', 'Replayer']

STAGE_TOPICS = ('snn/spikes', 'features', 'classification')


@dataclass
class LiveRun:
    """What one replay saw: publish times by packet stamp, arrival times by topic and stamp."""

    window_us: int
    published_us: list[int] = field(default_factory=list)
    published_s: list[float] = field(default_factory=list)
    arrived_s: dict[str, dict[int, float]] = field(
        default_factory=lambda: {topic: {} for topic in STAGE_TOPICS})
    decisions: list[Decision] = field(default_factory=list)

    def completed_at(self, end_us: int) -> float | None:
        """When the packet that completed the window ending at ``end_us`` went out."""
        i = bisect.bisect_left(self.published_us, end_us)
        return self.published_s[i] if i < len(self.published_s) else None

    def latencies(self) -> dict[str, list[float]]:
        """Seconds per window: end to end, and each stage from the one before it."""
        out: dict[str, list[float]] = {'end_to_end': [], 'snn': [], 'accumulator': [], 'ann': []}
        spikes, features, decided = (self.arrived_s[t] for t in STAGE_TOPICS)
        for stamp, t_decided in decided.items():
            t0 = self.completed_at(stamp)
            if t0 is None or stamp not in spikes or stamp not in features:
                continue
            out['end_to_end'].append(t_decided - t0)
            out['snn'].append(spikes[stamp] - t0)
            out['accumulator'].append(features[stamp] - spikes[stamp])
            out['ann'].append(t_decided - features[stamp])
        return out


class Replayer(Node):
    """Publishes ``packets`` [(stamp µs, events)] on ``events`` and records the graph's outputs."""

    def __init__(self, packets: list[tuple[int, np.ndarray]], window_us: int, *,
                 rate: float = 1.0, period_s: float = 1e-3, frame_id: str = 'camera',
                 **kwargs) -> None:
        super().__init__('replayer', **kwargs)
        self.packets = packets
        self.rate = rate
        self.frame_id = frame_id
        self.run = LiveRun(window_us)
        self._next = 0
        self._wall0: float | None = None
        self.events_pub = self.create_publisher(PointCloud2, 'events',
                                                stream_qos('reliable', live=False))
        for topic in STAGE_TOPICS:
            self.create_subscription(Image, topic, lambda m, t=topic: self._arrived(t, m),
                                     RESULTS_QOS)
        # A timer, not a loop of our own: the executor serves every ready callback of the
        # graph between two ticks, so the graph runs as it would beside a driver.
        self._timer = self.create_timer(period_s / rate if rate > 0 else 1e-3, self.publish_due)
        self._timer.cancel()

    def start(self) -> None:
        self._timer.reset()

    @property
    def published(self) -> int:
        return self._next

    @property
    def done_publishing(self) -> bool:
        return self._next >= len(self.packets)

    def publish_due(self) -> None:
        """Publish every packet whose time has come (all of them at ``rate`` 0)."""
        now = time.perf_counter()
        if self._wall0 is None:
            self._wall0 = now
        if self.done_publishing:
            self._timer.cancel()
            return
        t0 = self.packets[0][0] if self.packets else 0
        while not self.done_publishing:
            stamp, events = self.packets[self._next]
            if self.rate > 0 and (stamp - t0) * 1e-6 / self.rate > now - self._wall0:
                break
            msg = events_to_pointcloud2(events, stamp, self.frame_id)
            self.events_pub.publish(msg)
            self.run.published_us.append(stamp)
            self.run.published_s.append(time.perf_counter())
            self._next += 1

    def _arrived(self, topic: str, msg: Image) -> None:
        now = time.perf_counter()
        stamp = stamp_us(msg.header)
        self.run.arrived_s[topic][stamp] = now
        if topic == 'classification':
            self.run.decisions.append(Decision(stamp - self.run.window_us, stamp,
                                               image_to_matrix(msg, '32FC1')[0]))
