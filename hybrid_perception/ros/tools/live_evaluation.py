"""Replaying events (and images) through a live graph and timing its outputs as a subscriber
sees them.

The replayer publishes aligned packets paced on the wall clock (``rate`` x real time), on one
topic per camera, and notes when each went out; subclasses hear the graph's outputs and note
when each arrived. Every output carries the stamp of its window's (or step's) end, so latency
is measured from the packet that completed it: the first one of that camera stamped at or
after the end (a window cannot be closed before the stream has passed it).
"""

from __future__ import annotations

import bisect
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from geometry_msgs.msg import Point, PoseArray
from rclpy.node import Node
from sensor_msgs.msg import Image, PointCloud2

from hybrid_perception.datasets.gesture_bag import LabelSpan
from hybrid_perception.datasets.image_bag import LabelledImage
from hybrid_perception.datasets.pose_bag import PoseTruth
from hybrid_perception.events.cdr import CdrReader, write_cloud
from hybrid_perception.geometry.joints import JOINTS
from hybrid_perception.hybrid.common import DEFAULT_SNN_BACKEND
from hybrid_perception.hybrid.gesture.bundle import ClassifierBundle
from hybrid_perception.hybrid.gesture.evaluation import Decision
from hybrid_perception.hybrid.pose.bundle import PoseBundle
from hybrid_perception.hybrid.pose.evaluation import LiveTrack
from hybrid_perception.networks.energy.counts import OpCounter, OpCounts
from hybrid_perception.ros.conversions import (
    compiled_types,
    header,
    image_to_matrix,
    matrix_to_image,
    read_image,
    read_pose_array,
    stamp_us,
)
from hybrid_perception.ros.entry import make_executor, spin_until, spin_until_quiet, stop_node
from hybrid_perception.ros.qos import RESULTS_QOS, stream_qos
from hybrid_perception.ros.timers import create_pacing_timer

__all__ = ['STAGE_TOPICS', 'GestureReplayer', 'ImageReplayer', 'ImageRun', 'LiveRun',
           'PacketReplayer', 'PoseReplayer', 'Published', 'gesture_labels', 'live_graph', 'play',
           'pose_truth_messages', 'replay_gesture_graph', 'replay_image_graph',
           'replay_pose_graph']

STAGE_TOPICS = ('snn/spikes', 'features', 'classification')


@dataclass
class Published:
    """When each packet of one topic went out: stamps (µs, ascending) and wall times (s)."""

    stamps_us: list[int] = field(default_factory=list)
    wall_s: list[float] = field(default_factory=list)

    def completed_at(self, end_us: int) -> float | None:
        """When the packet that completed the window ending at ``end_us`` went out."""
        i = bisect.bisect_left(self.stamps_us, end_us)
        return self.wall_s[i] if i < len(self.wall_s) else None


@dataclass
class LiveRun:
    """What one replay saw: publish times by packet stamp, arrival times by topic and stamp."""

    window_us: int
    published: Published = field(default_factory=Published)
    arrived_s: dict[str, dict[int, float]] = field(
        default_factory=lambda: {topic: {} for topic in STAGE_TOPICS})
    decisions: list[Decision] = field(default_factory=list)

    def latencies(self) -> dict[str, list[float]]:
        """Seconds per window: end to end, and each stage from the one before it."""
        out: dict[str, list[float]] = {'end_to_end': [], 'snn': [], 'accumulator': [], 'ann': []}
        spikes, features, decided = (self.arrived_s[t] for t in STAGE_TOPICS)
        for stamp, t_decided in decided.items():
            t0 = self.published.completed_at(stamp)
            if t0 is None or stamp not in spikes or stamp not in features:
                continue
            out['end_to_end'].append(t_decided - t0)
            out['snn'].append(spikes[stamp] - t0)
            out['accumulator'].append(features[stamp] - spikes[stamp])
            out['ann'].append(t_decided - features[stamp])
        return out


class PacketReplayer(Node):
    """Publishes ``packets`` {topic: [(stamp µs, events)]} in stamp order, paced at ``rate``
    x real time (0: as fast as the readers take them), and notes when each went out."""

    def __init__(self, name: str, packets: dict[str, list[tuple[int, np.ndarray]]], *,
                 rate: float = 1.0, period_s: float = 1e-3, frame_ids: dict[str, str] | None =
                 None, messages: dict[str, list[tuple[int, Any]]] | None = None,
                 **kwargs) -> None:
        """``messages`` {topic: [(stamp µs, message)]} go out in stamp order among the
        packets, as a bag's other topics do when it plays (ground truth)."""
        super().__init__(name, **kwargs)
        messages = {topic: part for topic, part in (messages or {}).items() if part}
        self.queue = sorted([(stamp, topic, payload)
                             for group in (packets, messages) for topic, part in group.items()
                             for stamp, payload in part], key=lambda item: item[0])
        self.message_publishers = {topic: self.create_publisher(type(part[0][1]), topic,
                                                                RESULTS_QOS)
                                   for topic, part in messages.items()}
        self.rate = rate
        self.frame_ids = frame_ids or {}
        self.published_by_topic = {topic: Published() for topic in packets}
        self._next = 0
        self._wall0: float | None = None
        qos = stream_qos('reliable', live=False)
        self.publishers_by_topic = {topic: self.create_publisher(PointCloud2, topic, qos)
                                    for topic in packets}
        # A timer, not a loop of our own: the executor serves every ready callback of the
        # graph between two ticks, so the graph runs as it would beside a driver.
        self._timer = create_pacing_timer(self, period_s / rate if rate > 0 else 1e-3,
                                          self.publish_due)
        self._timer.cancel()

    def start(self) -> None:
        self._timer.reset()

    def readers(self) -> int:
        """Subscribers of the topic with the fewest (all are served once this is non-zero)."""
        return min(p.get_subscription_count() for p in self.publishers_by_topic.values())

    @property
    def published(self) -> int:
        return self._next

    @property
    def done_publishing(self) -> bool:
        return self._next >= len(self.queue)

    def publish_due(self) -> None:
        """Publish every packet whose time has come (all of them at ``rate`` 0)."""
        now = time.perf_counter()
        if self._wall0 is None:
            self._wall0 = now
        if self.done_publishing:
            self._timer.cancel()
            return
        t0 = self.queue[0][0]
        while not self.done_publishing:
            stamp, topic, events = self.queue[self._next]
            if self.rate > 0 and (stamp - t0) * 1e-6 / self.rate > now - self._wall0:
                break
            if topic in self.message_publishers:
                self.message_publishers[topic].publish(events)
                self._next += 1
                continue
            self.publishers_by_topic[topic].publish(
                write_cloud(events, stamp, self.frame_ids.get(topic, 'camera')))
            self.published_by_topic[topic].stamps_us.append(stamp)
            self.published_by_topic[topic].wall_s.append(time.perf_counter())
            self._next += 1


class GestureReplayer(PacketReplayer):
    """H1: publishes ``packets`` [(stamp µs, events)] on ``events`` and records the stages'
    outputs."""

    def __init__(self, packets: list[tuple[int, np.ndarray]], window_us: int, *,
                 rate: float = 1.0, period_s: float = 1e-3, truth: Sequence[LabelSpan] = (),
                 **kwargs) -> None:
        """``truth`` goes out on ``ground_truth`` as GestureLabel messages at each gesture's
        start, when the message package is built (a robot's tools then see it live)."""
        super().__init__('gesture_replayer', {'events': packets}, rate=rate, period_s=period_s,
                         messages={'ground_truth': gesture_labels(truth)}, **kwargs)
        self.run = LiveRun(window_us, self.published_by_topic['events'])
        # raw: in one process this listener shares the graph's thread, and of the stages'
        # messages it reads the stamps only (and the decisions' probabilities)
        for topic in STAGE_TOPICS:
            self.create_subscription(Image, topic, lambda m, t=topic: self._arrived(t, m),
                                     RESULTS_QOS, raw=True)

    def _arrived(self, topic: str, raw: bytes) -> None:
        now = time.perf_counter()
        if topic == 'classification':
            stamp, _, probabilities = read_image(raw, '32FC1')
            self.run.decisions.append(Decision(stamp - self.run.window_us, stamp,
                                               probabilities[0]))
        else:
            stamp, _ = CdrReader(raw, topic).stamp_and_frame()
        self.run.arrived_s[topic][stamp] = now


class PoseReplayer(PacketReplayer):
    """H2: publishes each camera's packets on ``<camera>/events`` and keeps every pose the
    graph sends back ({topic: {stamp: points}}) with its latency from the completing packet."""

    def __init__(self, packets: dict[str, list[tuple[int, np.ndarray]]],
                 pose_topics: dict[str, str], *, rate: float = 1.0, period_s: float = 1e-3,
                 truth: PoseTruth | None = None, **kwargs) -> None:
        """``pose_topics`` maps each pose topic to the camera whose packets complete its
        steps ('' for one that needs every camera, like the triangulated pose). ``truth``
        goes out live at every label time, as in the bag (Joints3D on ``ground_truth/joints``,
        Joints2D on ``<camera>/ground_truth/joints``), when the message package is built."""
        super().__init__('pose_replayer', {f'{c}/events': p for c, p in packets.items()},
                         rate=rate, period_s=period_s,
                         frame_ids={f'{c}/events': c for c in packets},
                         messages=pose_truth_messages(truth) if truth else None, **kwargs)
        # the cameras whose packets complete each topic's steps
        self.completing = {topic: [self.published_by_topic[f'{c}/events']
                                   for c in ([camera] if camera else packets)]
                           for topic, camera in pose_topics.items()}
        self.poses: dict[str, dict[int, np.ndarray]] = {t: {} for t in pose_topics}
        self.latency_s: dict[str, list[float]] = {t: [] for t in pose_topics}
        for topic in pose_topics:
            self.create_subscription(PoseArray, topic, lambda m, t=topic: self._arrived(t, m),
                                     RESULTS_QOS, raw=True)

    def _arrived(self, topic: str, raw: bytes) -> None:
        now = time.perf_counter()
        stamp, _, points = read_pose_array(raw)
        self.poses[topic][stamp] = points
        sent = [published.completed_at(stamp) for published in self.completing[topic]]
        if all(t is not None for t in sent):
            self.latency_s[topic].append(now - max(sent))


class ImageReplayer(Node):
    """H3: publishes one image at a time on ``image`` (its ImageLabel on ``ground_truth`` where
    the message package is built) and keeps what comes back on ``classification``, with the
    time from the image going out to its answer arriving. One image in flight: the latency is
    the graph's service time, whatever the model's speed."""

    def __init__(self, images: Sequence[LabelledImage], frame_id: str = 'camera',
                 **kwargs) -> None:
        super().__init__('image_replayer', **kwargs)
        self.images = list(images)
        self.frame_id = frame_id
        self.sent_s: dict[int, float] = {}
        self.answers: dict[int, np.ndarray] = {}
        self.latency_s: dict[int, float] = {}
        self.image_pub = self.create_publisher(Image, 'image',
                                               stream_qos('reliable', live=False, depth=100))
        types = compiled_types('ImageLabel', stacklevel=3)
        self.label_type = types[0] if types else None
        self.truth_pub = (self.create_publisher(self.label_type, 'ground_truth', RESULTS_QOS)
                          if self.label_type else None)
        self.create_subscription(Image, 'classification', self._arrived, RESULTS_QOS)

    def readers(self) -> int:
        return self.image_pub.get_subscription_count()

    def send(self, item: LabelledImage) -> None:
        if self.truth_pub is not None:
            self.truth_pub.publish(self.label_type(header=header(item.stamp_us, self.frame_id),
                                                   label=item.label, name=item.name,
                                                   sample=item.sample))
        msg = matrix_to_image(item.image, 'mono8', item.stamp_us, self.frame_id)
        self.sent_s[item.stamp_us] = time.perf_counter()
        self.image_pub.publish(msg)

    def _arrived(self, msg: Image) -> None:
        now = time.perf_counter()
        stamp = stamp_us(msg.header)
        self.answers[stamp] = image_to_matrix(msg, '32FC1')[0]
        if stamp in self.sent_s:
            self.latency_s[stamp] = now - self.sent_s[stamp]


@dataclass
class ImageRun:
    """One replay of images through image_classifier_node: its answer to each image (by
    stamp), latencies, and the node's own figures (steps, operations per image)."""

    answers: dict[int, np.ndarray]
    latency_s: list[float]
    steps_per_image: float
    ops_per_image: OpCounts | None
    device: str


def replay_image_graph(name: str, images: Sequence[LabelledImage], parameters: dict[str, Any],
                       timeout_s: float = 30.0) -> ImageRun:
    """H3: ``images`` one at a time through a fresh image_classifier_node with ``parameters``,
    in namespace /<name>. An image unanswered within ``timeout_s`` is left unanswered."""
    from tqdm import tqdm

    graph = {'image_classifier_node': {**parameters, 'reliability': 'reliable'}}
    with live_graph(graph, f'/{name}') as (context, executor, nodes):
        replayer = ImageReplayer(images, namespace=f'/{name}', context=context)
        nodes.append(replayer)
        executor.add_node(replayer)
        spin_until(executor, lambda: replayer.readers() >= 1, 10.0)
        for item in tqdm(images, desc=f'replaying for {name}', unit='image'):
            replayer.send(item)
            spin_until(executor, lambda s=item.stamp_us: s in replayer.answers, timeout_s,
                       period_s=0.001)
        classifier = nodes[0].classifier
        return ImageRun(dict(replayer.answers), list(replayer.latency_s.values()),
                        classifier.mean_steps(), classifier.ops_per_image(), classifier.device)


def gesture_labels(spans: Sequence[LabelSpan], frame_id: str = 'camera'
                   ) -> list[tuple[int, Any]]:
    """(start µs, hybrid_perception_msgs/GestureLabel) of each span (none where the message
    package is not built)."""
    types = compiled_types('GestureLabel') if spans else None
    if types is None:
        return []
    return [(span.start_us, types[0](header=header(span.start_us, frame_id),
                                               end=header(span.end_us, frame_id).stamp,
                                               label=span.label, name=span.name,
                                               subject=span.subject)) for span in spans]


def pose_truth_messages(truth: PoseTruth) -> dict[str, list[tuple[int, Any]]]:
    """{topic: [(label µs, message)]} of a pose bag's ground truth, in the compiled types
    (none where the message package is not built)."""
    types = compiled_types('Joints3D', 'Joints2D')
    if types is None:
        return {}
    joints_3d, joints_2d = types
    names = list(JOINTS)
    labels = list(zip(truth.label_us.tolist(), truth.subjects, truth.movements, strict=True))
    out = {'ground_truth/joints': [
        (t, joints_3d(header=header(t, 'world'), names=names, subject=subject,
                           movement=movement, positions=[Point(x=float(x), y=float(y),
                                                               z=float(z)) for x, y, z in joints]))
        for (t, subject, movement), joints in zip(labels, truth.joints_3d, strict=True)]}
    for camera, views in truth.joints_2d.items():
        out[f'{camera}/ground_truth/joints'] = [
            (t, joints_2d(header=header(t, camera), names=names, u=view[:, 0].tolist(),
                               v=view[:, 1].tolist(), subject=subject, movement=movement))
            for (t, subject, movement), view in zip(labels, views, strict=True)]
    return out


@contextmanager
def live_graph(graph: dict, namespace: str) -> Iterator[tuple]:
    """A fresh ROS context running ``graph``'s nodes in ``namespace`` on one executor; yields
    (context, executor, nodes). Nodes the caller appends to ``nodes`` (a replayer) are added to
    the executor by :func:`play` and stopped with the rest, whatever happens."""
    import rclpy

    from hybrid_perception.ros.graph import start_graph

    context = rclpy.Context()
    rclpy.init(context=context)
    executor = make_executor(context)
    nodes = []
    try:
        nodes.extend(start_graph(graph, namespace=namespace, context=context))
        for node in nodes:
            executor.add_node(node)
        yield context, executor, nodes
    finally:
        for node in nodes:
            stop_node(node)
        executor.shutdown()
        context.try_shutdown()


def play(executor, replayer: PacketReplayer, readers: int, desc: str) -> None:
    """Once every topic has ``readers`` subscribers (or 10 s passed), publish all of the
    replayer's packets, serving the graph between them, with a progress bar."""
    from tqdm import tqdm

    executor.add_node(replayer)
    spin_until(executor, lambda: replayer.readers() >= readers, 10.0)
    replayer.start()
    with tqdm(total=len(replayer.queue), desc=desc, unit='packet') as bar:
        def published() -> bool:
            bar.update(replayer.published - bar.n)
            return replayer.done_publishing
        spin_until(executor, published, period_s=0.01)


def replay_gesture_graph(name: str, bundle: ClassifierBundle,
                         packets: list[tuple[int, np.ndarray]], *, rate: float, packet_us: int,
                         snn_backend: str = DEFAULT_SNN_BACKEND, ann_backend: str = 'onnxruntime',
                         truth: Sequence[LabelSpan] = ()) -> tuple[LiveRun, OpCounts | None]:
    """H1: one replay through a fresh graph of the model's three nodes, in namespace /<name>;
    what the graph sent back, and the SNN's operations per window."""
    path = str(bundle.path)
    graph = {'snn_node': {'model': path, 'backend': snn_backend, 'reliability': 'reliable'},
             'accumulator_node': {'model': path},
             'ann_node': {'model': path, 'backend': ann_backend}}
    window_us = bundle.binning.bin_us * bundle.spec.interval
    expected = (packets[-1][0] // window_us) - (packets[0][0] // window_us) if packets else 0
    with live_graph(graph, f'/{name}') as (context, executor, nodes):
        replayer = GestureReplayer(packets, window_us, rate=rate, period_s=packet_us * 1e-6,
                                   truth=truth, namespace=f'/{name}', context=context)
        nodes.append(replayer)
        decided = replayer.run.arrived_s['classification']
        play(executor, replayer, 1, f'replaying for {name}')
        spin_until_quiet(executor, lambda: len(decided), 5.0,
                         done=lambda: len(decided) >= expected)
        snn_node = next(n for n in nodes if n.get_name() == 'snn_node')
        return replayer.run, snn_node.stage.ops_per_window()


#: H2: what each model runs per camera, and where its 2D pose comes out (/<model>/<camera>/)
POSE_GRAPHS = {'hybrid': (('state_initializer_node', 'pose_snn_node'), 'pose'),
               'ann': (('state_initializer_node',), 'ann/pose'),
               'snn': (('pose_snn_node',), 'pose')}


def replay_pose_graph(model: str, bundle: PoseBundle,
                      packets: dict[str, list[tuple[int, np.ndarray]]], rig: Path, *,
                      rate: float, packet_us: int, snn_backend: str = DEFAULT_SNN_BACKEND,
                      ann_backend: str = 'onnxruntime', truth: PoseTruth | None = None
                      ) -> LiveTrack:
    """H2: one replay of every camera's packets through a fresh graph of ``model``
    (:data:`POSE_GRAPHS`) in namespace /<model>, skeleton_node triangulating with ``rig``;
    the poses it sent back, their latencies and the SNN's operations per step."""
    nodes_per_camera, pose_topic = POSE_GRAPHS[model]
    windows = bundle.spec.windows
    path = str(bundle.path)
    parameters = {
        'state_initializer_node': {'model': path, 'reliability': 'reliable',
                                   'backend': ann_backend,
                                   'rate_hz': float(windows.rate_hz if model == 'ann'
                                                    else 1e6 / windows.window_us)},
        'pose_snn_node': {'model': path, 'reliability': 'reliable', 'backend': snn_backend,
                          'snn': 'alone' if model == 'snn' else 'hybrid'}}
    graph = {f'/{camera}/{node}': parameters[node] for camera in packets
             for node in nodes_per_camera}
    # every joint triangulated, confident or not: the errors are the seed's, over all joints
    graph['skeleton_node'] = {'views': list(packets), 'rig': str(rig), 'frame_id': 'world',
                              'pose_topic': pose_topic, 'min_joint_confidence': 0.0}
    with live_graph(graph, f'/{model}') as (context, executor, nodes):
        topics = {f'{camera}/{pose_topic}': camera for camera in packets}
        replayer = PoseReplayer(packets, {**topics, 'pose': ''}, rate=rate,
                                period_s=packet_us * 1e-6, truth=truth, namespace=f'/{model}',
                                context=context)
        nodes.append(replayer)
        play(executor, replayer, len(nodes_per_camera), f'replaying for {model}')
        spin_until_quiet(executor, lambda: sum(len(p) for p in replayer.poses.values()), 2.0)
        counters = [n.stepper.tracker.counter for n in nodes if n.get_name() == 'pose_snn_node']
        counted = sum(counters, OpCounter(bundle.spec.snn))     # none in the ANN's graph
        return LiveTrack(
            poses_2d={camera: replayer.poses[topic] for topic, camera in topics.items()},
            poses_3d=replayer.poses['pose'],
            latency_2d_s=[s for topic in topics for s in replayer.latency_s[topic]],
            latency_3d_s=replayer.latency_s['pose'],
            ops_per_step=counted.per_step() or OpCounts())
