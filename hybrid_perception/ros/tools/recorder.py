"""A rosbag2 (MCAP) recorder that never decodes: serialized messages go straight to disk.

Subscriptions are raw (the CDR bytes the DDS layer received), so recording costs one copy per
message whatever the type, and nothing is lost to deserialisation time. The bag gets the
message definitions and metadata.yaml, so ``ros2 bag info``/``play`` and rosbags read it.
Topics are discovered as they appear; each subscription matches its publishers' reliability
(a reliable subscription would never hear a best-effort camera).
"""

from __future__ import annotations

import importlib
import time
from pathlib import Path

from rclpy.node import Node
from rclpy.qos import DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy

from hybrid_perception.io.rosbag import open_bag_writer, typestore

__all__ = ['BagRecorder']


def message_class(msgtype: str):
    """``sensor_msgs/msg/PointCloud2`` -> the rclpy message class."""
    package, kind, name = msgtype.split('/')
    return getattr(importlib.import_module(f'{package}.{kind}'), name)


class BagRecorder(Node):
    """Records ``topics`` (or every topic when empty) into the bag at ``path``."""

    def __init__(self, path: str | Path, topics: list[str] | None = None, *,
                 storage: str = 'mcap', **kwargs) -> None:
        super().__init__('bag_recorder', **kwargs)
        self.path = Path(path)
        self.topics = set(topics or [])
        self._store = typestore()
        self._writer = open_bag_writer(self.path, storage)
        self._seen: set[str] = set()  # recorded, or refused once with a logged reason
        self.counts: dict[str, int] = {}
        self.failed: OSError | None = None   # why writing stopped (a full disk)
        self._discover()
        self.create_timer(0.2, self._discover)
        self.get_logger().info(f'recording {sorted(self.topics) or "all topics"} to '
                               f'{self.path} ({storage})')

    def _discover(self) -> None:
        for topic, types in self.get_topic_names_and_types():
            if topic in self._seen or (self.topics and topic not in self.topics):
                continue
            if topic in ('/rosout', '/parameter_events') and not self.topics:
                continue
            msgtype = types[0]
            self._seen.add(topic)
            try:
                cls = message_class(msgtype)
                connection = self._writer.add_connection(topic, msgtype, typestore=self._store)
            except (ImportError, AttributeError, ValueError, KeyError) as err:
                self.get_logger().error(f'not recording {topic}: type {msgtype} unknown here '
                                        f'({err})')
                continue
            self.counts[topic] = 0
            self.create_subscription(cls, topic, self._writer_callback(topic, connection),
                                     self._qos_for(topic), raw=True)
            self.get_logger().info(f'recording {topic} [{msgtype}]')

    def _qos_for(self, topic: str) -> QoSProfile:
        publishers = self.get_publishers_info_by_topic(topic)
        reliable = publishers and all(
            info.qos_profile.reliability == ReliabilityPolicy.RELIABLE for info in publishers)
        return QoSProfile(
            history=HistoryPolicy.KEEP_ALL, depth=1000,
            reliability=ReliabilityPolicy.RELIABLE if reliable else ReliabilityPolicy.BEST_EFFORT,
            durability=DurabilityPolicy.VOLATILE)

    def _writer_callback(self, topic: str, connection):
        def write(raw: bytes) -> None:
            if self.failed is not None:
                return
            try:
                self._writer.write(connection, time.time_ns(), raw)
            except OSError as err:         # a full disk, a removed drive
                self._fail(err)
                return
            self.counts[topic] += 1
        return write

    def _fail(self, err: OSError) -> None:
        self.failed = err
        self.get_logger().error(
            f'cannot write {self.path} ({err.strerror or err}): recording stopped after '
            f'{sum(self.counts.values())} messages; `hybrid-perception salvage {self.path}` '
            'makes a readable bag of what reached the disk')

    def close(self) -> None:
        """Finish the bag (MCAP summary, metadata.yaml). Safe to call twice; on a full disk
        the bag stays as written (salvageable) and :attr:`failed` says why."""
        if self._writer is None:
            return
        writer, self._writer = self._writer, None
        try:
            writer.close()
        except OSError as err:
            if self.failed is None:
                self._fail(err)
            return
        self.get_logger().info(f'closed {self.path}: {self.counts}')
