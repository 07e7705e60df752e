"""H2's nodes over real DDS: the live pair gives the offline evaluation's poses, each joint
with the confidence its events give it, and survives bad input."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from support import imported_by_starting, pose_points, spin_until

from hybrid_perception.datasets.people import PeopleRenderer, people
from hybrid_perception.errors import HybridPerceptionError
from hybrid_perception.events.array import make_events
from hybrid_perception.events.representations import to_spike_tensor
from hybrid_perception.hybrid.pose.bundle import load_pose_bundle, save_pose_bundle
from hybrid_perception.hybrid.pose.evaluation import score_takes
from hybrid_perception.hybrid.pose.evidence import JointEvidence
from hybrid_perception.hybrid.pose.model import PoseSnn, StateInitializer
from hybrid_perception.hybrid.pose.spec import load_pose_spec
from hybrid_perception.io.sources import packetize

TAKE_US = 500_000


@pytest.fixture(scope='module')
def model(tmp_path_factory):
    """Untrained networks with a readout that moves: parity does not need training."""
    spec = load_pose_spec('pose')
    torch.manual_seed(4)
    snns = {'hybrid': PoseSnn(spec), 'alone': PoseSnn(spec, alone=True)}
    with torch.no_grad():
        for snn in snns.values():
            snn.readout.weight.normal_(std=0.02)
    return save_pose_bundle(tmp_path_factory.mktemp('pose') / 'model', spec,
                            StateInitializer(spec), snns).path


@pytest.fixture(scope='module')
def take():
    person = people('test')[0]
    return PeopleRenderer().take(2, person, TAKE_US, np.random.default_rng(5))


class Probe:
    def __init__(self, context, executor):
        import rclpy
        from diagnostic_msgs.msg import DiagnosticArray
        from geometry_msgs.msg import PoseArray
        from sensor_msgs.msg import Image, PointCloud2

        from hybrid_perception.ros.qos import RESULTS_QOS, stream_qos
        self.node = rclpy.create_node('probe', context=context)
        self.events = self.node.create_publisher(PointCloud2, 'events',
                                                 stream_qos('reliable', live=False))
        self.state_init = self.node.create_publisher(Image, 'snn/state_init', RESULTS_QOS)
        self.poses, self.ann_poses, self.status = {}, {}, {}
        for topic, into in (('pose', self.poses), ('ann/pose', self.ann_poses)):
            self.node.create_subscription(PoseArray, topic,
                                          lambda m, i=into: self._keep(m, i), RESULTS_QOS)
        self.node.create_subscription(DiagnosticArray, '/diagnostics', self._on_status,
                                      RESULTS_QOS)
        executor.add_node(self.node)

    @staticmethod
    def _keep(msg, into) -> None:
        from hybrid_perception.ros.conversions import stamp_us
        into[stamp_us(msg.header)] = pose_points(msg)     # x, y pixels and z confidence

    def _on_status(self, msg) -> None:
        for status in msg.status:
            self.status[status.name.split(':')[0]] = {kv.key: kv.value for kv in status.values}

    def publish(self, events, executor, readers) -> None:
        """Each packet once the ``readers`` (nodes) have taken the last, as a stream in real
        time arrives: not the whole take at once, which the executor would queue ahead of the
        initializations the state initializer sends back."""
        from hybrid_perception.ros.conversions import events_to_pointcloud2
        assert spin_until(executor, lambda: self.events.get_subscription_count() >= 2, 10.0)
        for stamp, packet in packetize([events], 2000):
            taken = [node.health.arrivals.get('events', 0) + 1 for node in readers]
            self.events.publish(events_to_pointcloud2(packet, stamp, 'cam0'))
            assert spin_until(executor, lambda t=taken: all(
                node.health.arrivals.get('events', 0) >= n
                for node, n in zip(readers, t, strict=True)), 10.0)


def start(context, executor, model, **snn):
    from rclpy.parameter import Parameter

    from hybrid_perception.ros.nodes.pose_snn_node import PoseSnnNode
    from hybrid_perception.ros.nodes.state_initializer_node import StateInitializerNode
    nodes = [StateInitializerNode(context=context, parameter_overrides=[
                 Parameter('model', value=str(model)), Parameter('reliability', value='reliable')]),
             PoseSnnNode(context=context, parameter_overrides=[
                 Parameter('model', value=str(model)), Parameter('reliability', value='reliable'),
                 *[Parameter(k, value=v) for k, v in snn.items()]])]
    for node in nodes:
        executor.add_node(node)
    return nodes


@pytest.mark.parametrize('snn, scored', [('hybrid', 'hybrid'), ('alone', 'snn')])
def test_the_live_pair_gives_the_offline_poses(ros, model, take, snn, scored):
    """Both SNNs, live from the stream's start, step as the offline evaluation scores them."""
    context, executor = ros
    probe = Probe(context, executor)
    nodes = start(context, executor, model, snn=snn)
    events = take.events[0]
    probe.publish(events, executor, nodes)
    # the stream goes on
    probe.publish(make_events([TAKE_US + 20_000], [0], [0], [1]), executor, nodes)
    # the stream passed 500 ms: five initializations, each written in at its boundary (the
    # SNN alone ignores them)
    initializations = 5 if snn == 'hybrid' else 0
    assert spin_until(executor, lambda: nodes[1].stepper.initialized == initializations
                      and len(probe.ann_poses) == 5 and probe.poses
                      and max(probe.poses) >= TAKE_US, 60.0)
    bundle = load_pose_bundle(model)
    initializer = bundle.pose_initializer('torch')
    trackers = [bundle.tracker(kind, 'torch', bundle.spec.windows.steps)
                for kind in ('hybrid', 'alone')]
    scores = score_takes([take], initializer, *trackers)
    step = bundle.spec.windows.step_us
    ends = range(100_000 + step, TAKE_US + 1, step)
    live = np.stack([probe.poses[end] for end in ends])
    np.testing.assert_allclose(live[..., :2], scores.predicted[scored][0][0], atol=1e-3)
    # each step's z: its joints scored by the evidence of every step up to it
    windows = bundle.spec.windows
    evidence = JointEvidence(windows.sensor, windows.downsample)
    spikes = to_spike_tensor(events, windows.sensor, t_start_us=0, bin_us=step,
                             n_bins=TAKE_US // step, downsample=windows.downsample, binary=True)
    # the hybrid gives no pose before the ANN's first (it has none to start from)
    assert min(probe.poses) == (100_000 + step if snn == 'hybrid' else step)
    for end, spiked in zip(range(step, TAKE_US + 1, step), spikes, strict=True):
        evidence.add(spiked, step)
        if end in probe.poses:
            pose = probe.poses[end]
            np.testing.assert_allclose(pose[:, 2], evidence(pose[:, :2]), atol=1e-9)
    assert 0 < live[..., 2].max() <= 1
    for boundary in range(100_000, TAKE_US + 1, 100_000):
        np.testing.assert_allclose(
            probe.ann_poses[boundary][:, :2],
            initializer(windows.ann_input(events, boundary)).pose, atol=1e-3)
        assert ((probe.ann_poses[boundary][:, 2] >= 0)
                & (probe.ann_poses[boundary][:, 2] <= 1)).all()
    assert nodes[1].stepper.missed == 0 and nodes[1].stepper.stale == 0


def test_bad_initializations_are_logged_and_the_snn_keeps_going(ros, model, take):
    from hybrid_perception.ros.conversions import matrix_to_image
    context, executor = ros
    probe = Probe(context, executor)
    nodes = start(context, executor, model, wait_steps=2)
    snn = nodes[1]
    assert spin_until(executor, lambda: probe.state_init.get_subscription_count() >= 1, 10.0)
    probe.state_init.publish(matrix_to_image(np.zeros((1, 7)), '32FC1', 100_000, 'cam0'))
    probe.publish(take.events[0][take.events[0]['timestamp'] < 300_000], executor, nodes)
    probe.publish(make_events([320_000], [0], [0], [1]), executor, nodes)
    assert spin_until(executor, lambda: max(probe.poses, default=0) >= 300_000, 30.0)
    assert spin_until(executor, lambda: int(probe.status.get('pose_snn_node', {}).get(
        'bad_messages', 0)) == 1, 5.0)
    assert snn.stepper.initialized >= 1


def test_a_dhp19_model_crops_a_davis346_as_it_was_trained(ros, tmp_path):
    """A model of the pose-dhp19 spec takes the seed's 256x256 crop of a 346x260 camera unless
    a roi is given; the offline pipeline fits the same way."""
    from hybrid_perception.datasets.dhp19 import DHP19_CROP, DHP19_SENSOR
    from hybrid_perception.hybrid.pose.stream import PosePipeline
    spec = load_pose_spec('pose-dhp19')
    bundle = save_pose_bundle(tmp_path / 'dhp19', spec, StateInitializer(spec),
                              {'hybrid': PoseSnn(spec), 'alone': PoseSnn(spec, alone=True)})
    assert load_pose_bundle(bundle.path).spec.camera_crop == spec.camera_crop
    assert PosePipeline(bundle, DHP19_SENSOR).input.fit.region == DHP19_CROP
    assert PosePipeline(bundle, DHP19_SENSOR, roi=(0, 0, 256, 256)).input.fit.region == \
        (0, 0, 256, 256)
    context, executor = ros
    assert start(context, executor, bundle.path, sensor_size=[346, 260])[1].input.fit.region \
        == DHP19_CROP
    other = start(context, executor, bundle.path, sensor_size=[640, 480])[1]
    assert other.input.fit.region == (0, 0, 640, 480)       # not the camera it was made for


def test_a_missing_model_is_refused(ros, tmp_path):
    context, executor = ros
    with pytest.raises(HybridPerceptionError, match='not a pose model folder'):
        start(context, executor, tmp_path / 'nothing')


@pytest.mark.parametrize('graph, imported', [
    ("{'state_initializer_node': {}}", {'torch': False, 'lava': False}),
    ("{'pose_snn_node': {}}", {'torch': False, 'lava': False}),
    ("{'pose_snn_node': {'backend': 'torch'}}", {'torch': True, 'lava': True})])
def test_pose_nodes_start_without_what_they_do_not_run(graph, imported):
    """The initializer on onnxruntime and the SNN on the compiled runtime (its readout numpy
    arrays) stand ready without torch; torch and SLAYER come with the torch backend."""
    assert imported_by_starting(graph) == (imported['torch'], imported['lava'])
