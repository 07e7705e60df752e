"""``/diagnostics`` for the package's nodes: a level, a message and figures, one status."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from typing import Any

import numpy as np
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
from rclpy.node import Node

__all__ = ['InputHealth', 'Latency', 'RealTimeLoad', 'diagnostics']


class Latency:
    """Wall-clock times of the last ``window`` calls of a stage, as p50/p99 in ms."""

    def __init__(self, window: int = 1000) -> None:
        self._ms: deque[float] = deque(maxlen=window)

    def add(self, seconds: float) -> None:
        self._ms.append(seconds * 1e3)

    def figures(self, prefix: str) -> dict[str, str]:
        if not self._ms:
            return {}
        p50, p99 = np.percentile(self._ms, [50, 99])
        return {f'{prefix}_p50_ms': f'{p50:.3f}', f'{prefix}_p99_ms': f'{p99:.3f}'}


class RealTimeLoad:
    """How much of the sensor's time a stage spends computing it: the compute time of the
    windows done since the last report over the sensor time they cover. Above 1 the stage
    cannot keep up (a slow backend, a busy machine): input queues and its output falls
    further behind the sensor every second, which latency figures alone do not say."""

    def __init__(self) -> None:
        self._busy_s = 0.0
        self._covered_s = 0.0

    def add(self, busy_s: float, covered_s: float) -> None:
        self._busy_s += busy_s
        self._covered_s += covered_s

    def take(self) -> float | None:
        """The load since the last call (None if no window was done), and start afresh."""
        load = self._busy_s / self._covered_s if self._covered_s else None
        self._busy_s = self._covered_s = 0.0
        return load


class InputHealth:
    """A node's input: bad messages counted, logged (throttled), the last one reported as WARN
    until ``quiet_s`` have passed without another (then OK again: the count stays in the
    values); and a subscribed topic whose publishers have all gone (a stage upstream died, or
    was stopped) reported as WARN until one is back, since a dead stage otherwise looks like a
    quiet scene."""

    def __init__(self, node: Node, quiet_s: float = 10.0, gap_s: float = 1.0) -> None:
        self._node = node
        self.gap_s = gap_s
        self.input_gaps = 0           # times an input resumed after gap_s or more without any
        self.longest_gap_s = 0.0
        self._arrived: dict[str, float] = {}     # input topic -> its last arrival
        self.arrivals: dict[str, int] = {}       # input topic -> messages it has had
        self._logger = node.get_logger()
        self.quiet_s = quiet_s
        self.bad_messages = 0
        self.last_error = ''
        self._last_at = float('-inf')
        self._published: set[str] = set()     # inputs that have had a publisher
        self._connected: set[str] = set()     # inputs that have one now
        self.lost_publishers = 0      # times the node's input lost its last publisher
        self._lost = False

    def bad(self, message: str) -> None:
        self.bad_messages += 1
        self.last_error = message
        self._last_at = time.monotonic()
        self._logger.error(message, throttle_duration_sec=5.0)

    def subscribe(self, msg_type: type, topic: str, callback: Callable[[Any], None],
                  qos: Any, *, raw: bool = False) -> Any:
        """The node's subscription to ``topic``, every arrival timed: an input that resumes
        after ``gap_s`` or more without a message (a link outage, a stage upstream that died
        or stalled, or a pause in the stream itself) is counted and logged, with the longest
        gap: what arrived late. Each input is timed on its own, so a stage that stops is seen
        even where another input of the node keeps flowing. ``raw``: the callback takes the
        serialized bytes (:mod:`hybrid_perception.events.cdr`)."""
        def timed(msg) -> None:
            now = time.monotonic()
            last = self._arrived.get(topic)
            if last is not None and now - last >= self.gap_s:
                self.input_gaps += 1
                self.longest_gap_s = max(self.longest_gap_s, now - last)
                self._logger.info(f'input {topic} resumed after {now - last:.1f} s without a '
                                  'message')
            self._arrived[topic] = now
            self.arrivals[topic] = self.arrivals.get(topic, 0) + 1
            callback(msg)
        return self._node.create_subscription(msg_type, topic, timed, qos, raw=raw)

    def figures(self) -> dict[str, int | str]:
        """The counts /diagnostics carries: bad messages, inputs that lost their publishers,
        and gaps in the input (with the longest)."""
        return {'bad_messages': self.bad_messages, 'lost_publishers': self.lost_publishers,
                'input_gaps': self.input_gaps,
                'longest_input_gap_s': f'{self.longest_gap_s:.2f}'}

    def silent_topics(self) -> list[str]:
        """The node's subscribed topics that had a publisher and have none now. An input that
        gains its first publisher (or one back) is logged once: across hosts, the line that
        says discovery reached the stage upstream."""
        lost = []
        for subscription in self._node.subscriptions:
            topic = subscription.topic_name
            publishers = self._node.count_publishers(topic)
            if publishers:
                if topic not in self._connected:
                    self._logger.info(f'input {topic} connected: {publishers} publisher(s)')
                self._connected.add(topic)
                self._published.add(topic)
            else:
                self._connected.discard(topic)
                if topic in self._published:
                    lost.append(topic)
        return lost

    def status(self, active: bool) -> tuple[bytes, str]:
        """(level, message) for /diagnostics: WARN with the last bad input while it is recent,
        WARN while a topic has lost its publishers, else OK."""
        if self.last_error and time.monotonic() - self._last_at < self.quiet_s:
            return DiagnosticStatus.WARN, self.last_error
        lost = self.silent_topics()
        if lost:
            if not self._lost:
                self.lost_publishers += 1
                self._logger.warning(f'no publisher on {", ".join(lost)} any more: the stage '
                                     'upstream has stopped')
            self._lost = True
            return DiagnosticStatus.WARN, (f'no publisher on {", ".join(lost)} any more (the '
                                           'stage upstream has stopped)')
        self._lost = False
        return DiagnosticStatus.OK, 'running' if active else 'waiting'


def diagnostics(node: Node, what: str, level: bytes, message: str, hardware_id: str,
                values: dict[str, Any]) -> DiagnosticArray:
    """One node's status as the stock diagnostics tools show it (name ``<node>: <what>``)."""
    status = DiagnosticStatus(
        level=level, name=f'{node.get_name()}: {what}', message=message,
        hardware_id=hardware_id, values=[KeyValue(key=k, value=str(v)) for k, v in values.items()])
    msg = DiagnosticArray(status=[status])
    msg.header.stamp = node.get_clock().now().to_msg()
    return msg
