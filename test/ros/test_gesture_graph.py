"""H1's nodes over real DDS: the live graph gives the model's numbers, survives bad input,
and runs as its own process from the graph YAML."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from support import imported_by_starting, spin_until

from hybrid_perception.datasets.gestures import GestureClips
from hybrid_perception.errors import HybridPerceptionError
from hybrid_perception.hybrid.gesture.bundle import load_bundle
from hybrid_perception.io.rosbag import EventBagWriter
from hybrid_perception.io.sources import packetize

ROOT = Path(__file__).resolve().parents[2]
CLIPS = GestureClips()


class Probe:
    """Publishes events and hears every output of the graph."""

    def __init__(self, context, executor):
        import rclpy
        from diagnostic_msgs.msg import DiagnosticArray
        from sensor_msgs.msg import Image, PointCloud2
        from std_msgs.msg import String

        from hybrid_perception.ros.qos import RESULTS_QOS, stream_qos
        self.node = rclpy.create_node('probe', context=context)
        self.events = self.node.create_publisher(PointCloud2, 'events',
                                                 stream_qos('reliable', live=False))
        self.spikes, self.features, self.probabilities, self.labels = [], [], [], []
        self.status = {}
        for topic, encoding, into in (('snn/spikes', 'mono8', self.spikes),
                                      ('features', '32FC1', self.features),
                                      ('classification', '32FC1', self.probabilities)):
            self.node.create_subscription(
                Image, topic, lambda m, e=encoding, i=into: self._keep(m, e, i), RESULTS_QOS)
        self.node.create_subscription(String, 'classification/label',
                                      lambda m: self.labels.append(m.data), RESULTS_QOS)
        self.node.create_subscription(DiagnosticArray, '/diagnostics', self._on_status,
                                      RESULTS_QOS)
        executor.add_node(self.node)

    @staticmethod
    def _keep(msg, encoding, into) -> None:
        from hybrid_perception.ros.conversions import image_to_matrix
        try:
            into.append(image_to_matrix(msg, encoding))
        except ValueError:  # the bad messages the tests send themselves
            pass

    def _on_status(self, msg) -> None:
        for status in msg.status:
            self.status[status.name.split(':')[0]] = {kv.key: kv.value for kv in status.values}

    def publish(self, events, executor) -> None:
        from hybrid_perception.ros.conversions import events_to_pointcloud2
        assert spin_until(executor, lambda: self.events.get_subscription_count() >= 1, 10.0)
        for stamp, packet in packetize([events], 1000):
            self.events.publish(events_to_pointcloud2(packet, stamp, 'camera'))
            executor.spin_once(timeout_sec=0)


def start(context, executor, model='gesture/hybrid', **extra):
    from hybrid_perception.ros.graph import start_graph
    graph = {'snn_node': {'model': model, 'reliability': 'reliable'},
             'accumulator_node': {'model': model}, 'ann_node': {'model': model}}
    for key, value in extra.items():
        node, name = key.split('__')
        graph[node][name] = value
    nodes = start_graph(graph, context=context)
    for node in nodes:
        executor.add_node(node)
    return nodes


@pytest.mark.parametrize('model', ['gesture/hybrid', 'gesture/ann', 'gesture/snn',
                                   'gesture/converted'])
def test_live_graph_publishes_the_models_probabilities(ros, gesture_events, model,
                                                       offline_probabilities):
    context, executor = ros
    probe = Probe(context, executor)
    start(context, executor, model)
    probe.publish(gesture_events, executor)
    probe.publish(gesture_events[:0], executor)
    from hybrid_perception.events.array import make_events
    probe.publish(make_events([240_000], [0], [0], [1]), executor)  # the stream moves on
    assert spin_until(executor, lambda: len(probe.probabilities) == 6, 30.0)
    bundle = load_bundle(model)
    expected = offline_probabilities(gesture_events, model)
    assert np.allclose(np.concatenate(probe.probabilities), expected, atol=1e-4)
    assert len(probe.spikes) == 6 and probe.spikes[0].shape == (
        int(np.prod(bundle.spec.feature_shape)), bundle.spec.window_steps)
    assert probe.labels[-1].split(' ')[0] in bundle.spec.classes
    # the share of the sensor's time the SNN spent computing its windows
    assert spin_until(executor, lambda: probe.status.get('snn_node', {}).get(
        'real_time_load', 'no window') != 'no window', 5.0), probe.status.get('snn_node')
    assert float(probe.status['snn_node']['real_time_load']) > 0


def test_labels_below_min_confidence_are_none_and_counted(ros, gesture_events):
    from hybrid_perception.events.array import make_events
    context, executor = ros
    probe = Probe(context, executor)
    start(context, executor, ann_node__min_confidence=1.01)
    probe.publish(gesture_events, executor)
    probe.publish(make_events([240_000], [0], [0], [1]), executor)
    assert spin_until(executor, lambda: len(probe.labels) == 6, 30.0)
    classes = load_bundle('gesture/hybrid').spec.classes
    for label, probabilities in zip(probe.labels, probe.probabilities, strict=True):
        best = classes[int(probabilities.argmax())]
        assert label == f'none ({best} {probabilities.max():.2f})'
    assert spin_until(executor, lambda: probe.status.get('ann_node', {}).get(
        'declined') == '6', 5.0), probe.status.get('ann_node')


def test_events_after_a_long_silence_start_the_network_from_rest(ros, gesture_events):
    """The same take after a gap > max_gap_s gives the same probabilities as the first time;
    the spiking state the take left behind would change its first windows."""
    from hybrid_perception.events.array import make_events
    context, executor = ros
    probe = Probe(context, executor)
    snn, _, _ = start(context, executor)
    gap_us = 2_000_000  # a multiple of the 40 ms window: the same cuts
    for offset in (0, gap_us):
        later = gesture_events.copy()
        later['timestamp'] += offset
        probe.publish(later, executor)
        probe.publish(make_events([offset + 240_000], [0], [0], [1]), executor)
        assert spin_until(executor, lambda n=offset: len(probe.probabilities) == (
            12 if n else 6), 30.0)
    assert snn.bins.restarts == 1
    assert np.allclose(np.concatenate(probe.probabilities[6:]),
                       np.concatenate(probe.probabilities[:6]), atol=1e-5)


def test_bad_messages_are_logged_counted_and_the_graph_keeps_going(ros, gesture_events):
    from sensor_msgs.msg import Image, PointCloud2

    from hybrid_perception.ros.conversions import matrix_to_image
    from hybrid_perception.ros.qos import RESULTS_QOS
    context, executor = ros
    probe = Probe(context, executor)
    snn, accumulator, ann = start(context, executor)
    spikes_pub = probe.node.create_publisher(Image, 'snn/spikes', RESULTS_QOS)
    features_pub = probe.node.create_publisher(Image, 'features', RESULTS_QOS)
    assert spin_until(executor, lambda: all(pub.get_subscription_count() >= 1 for pub in
                                            (spikes_pub, features_pub, probe.events)), 10.0)
    probe.events.publish(PointCloud2(width=3, height=1, point_step=2, data=b'\x00' * 6))
    spikes_pub.publish(matrix_to_image(np.zeros((7, 4)), 'mono8', 0, 'camera'))
    features_pub.publish(matrix_to_image(np.zeros((1, 5)), '32FC1', 0, 'camera'))
    features_pub.publish(matrix_to_image(np.zeros((1, 5)), 'mono8', 0, 'camera'))
    off_sensor = gesture_events.copy()
    off_sensor['x'][::50] = 500
    probe.publish(off_sensor, executor)
    probe.publish(gesture_events[-1:].copy(), executor)
    off = off_sensor[::50].size
    assert spin_until(executor, lambda: snn.health.bad_messages >= 2
                      and accumulator.health.bad_messages == 1
                      and ann.health.bad_messages == 2 and len(probe.probabilities) == 5
                      and snn.input.sanitizer.drops.out_of_bounds == off, 30)
    # diagnostics come at 1 Hz: the count an earlier report gave may predate the last drop
    assert spin_until(executor, lambda: int(probe.status.get('snn_node', {}).get(
        'dropped_events', -1)) == off, 10.0), probe.status.get('snn_node')


def test_a_missing_model_is_refused_at_start_up(ros):
    context, executor = ros
    with pytest.raises(HybridPerceptionError, match='not a model folder'):
        start(context, executor, model='/nonexistent/model')


def test_ann_node_executable_exits_2_with_the_reason_on_a_missing_model():
    result = subprocess.run([shutil.which('ann_node'), '--ros-args', '-p', 'model:=/no/model'],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert 'not a model folder' in result.stderr + result.stdout
    assert 'Traceback' not in result.stderr


def test_run_command_serves_a_replayed_bag_to_another_process(ros, gesture_events, tmp_path):
    context, executor = ros
    probe = Probe(context, executor)
    bag = tmp_path / 'gesture'
    with EventBagWriter(bag, CLIPS.renderer.sensor) as writer:
        for stamp, packet in packetize([gesture_events], 1000):
            writer.write(packet, stamp)
    # looped, so the stream is still there whenever this process has discovered the other
    run = subprocess.Popen(
        [shutil.which('hybrid-perception'), 'run', str(ROOT / 'config' / 'gesture.yaml'),
         '--set', 'dvs_driver.source=rosbag', '--set', f'dvs_driver.path={bag}',
         '--set', 'dvs_driver.loop=true', '--set', 'snn_node.reliability=reliable'],
        env=os.environ.copy(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        heard = spin_until(executor, lambda: len(probe.probabilities) >= 20, 120.0)
    finally:
        run.send_signal(signal.SIGINT)
        output, _ = run.communicate(timeout=20)
    assert heard, (len(probe.spikes), len(probe.features), len(probe.probabilities), output)
    channels, *positions = load_bundle('gesture/hybrid').spec.feature_shape
    assert probe.labels and probe.features[0].shape == (channels, int(np.prod(positions)))
    assert 'Traceback' not in output, output


@pytest.mark.parametrize('omp, threads', [(None, 1), ('2', 2)])
def test_a_started_graph_steps_torch_on_one_thread_unless_omp_says_otherwise(omp, threads):
    env = {k: v for k, v in os.environ.items() if k != 'OMP_NUM_THREADS'}
    if omp:
        env['OMP_NUM_THREADS'] = omp
    script = ('import rclpy, torch\n'
              'from hybrid_perception.ros.graph import start_graph\n'
              'rclpy.init()\n'
              "nodes = start_graph({'snn_node': {'model': 'gesture/hybrid'}})\n"
              'print(torch.get_num_threads())\n'
              'for n in nodes: n.destroy_node()\n'
              'rclpy.shutdown()\n')
    result = subprocess.run([sys.executable, '-c', script], env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-1] == str(threads)


@pytest.mark.parametrize('nodes, imported', [
    ("{'snn_node': {}, 'accumulator_node': {}, 'ann_node': {}}", (False, False)),
    ("{'snn_node': {'backend': 'torch'}}", (True, True)),
    ("{'ann_node': {'backend': 'torch'}}", (True, False))])
def test_nodes_that_run_no_torch_model_start_without_importing_torch(nodes, imported):
    """H1's graph on its default backends (the compiled SNN, the accumulator, the ANN on
    onnxruntime) loads its model folders, warms up and stands ready without torch or SLAYER
    (their import is most of a node's start-up); torch comes with a torch backend, SLAYER
    only with the SNN's (the torch ANN is built alone)."""
    assert imported_by_starting(nodes) == imported


def _on_a_vga_camera(events, rng):
    """``events`` as a 640x480 camera would see the scene: 3x larger, at (128, 48), plus
    noise outside that region."""
    from hybrid_perception.events.array import concatenate, make_events
    big = events.copy()
    big['x'] = events['x'] * 3 + 128 + 1
    big['y'] = events['y'] * 3 + 48 + 1
    n = events.size // 10
    t = np.sort(rng.integers(events['timestamp'][0], events['timestamp'][-1], n))
    noise = make_events(t, rng.integers(0, 120, n), rng.integers(0, 480, n), np.ones(n))
    merged = concatenate([big, noise])
    return merged[np.argsort(merged['timestamp'], kind='stable')], n


def test_a_region_of_a_larger_camera_gives_the_models_own_probabilities(ros, gesture_events,
                                                                        offline_probabilities):
    from hybrid_perception.events.array import make_events
    context, executor = ros
    probe = Probe(context, executor)
    snn, _, _ = start(context, executor, snn_node__sensor_size=[640, 480],
                      snn_node__roi=[128, 48, 384, 384], snn_node__downsample=3)
    vga, noise = _on_a_vga_camera(gesture_events, np.random.default_rng(3))
    probe.publish(vga, executor)
    probe.publish(make_events([240_000], [0], [0], [1]), executor)  # the stream moves on
    assert spin_until(executor, lambda: len(probe.probabilities) == 6, 30.0)
    expected = offline_probabilities(gesture_events)
    assert np.allclose(np.concatenate(probe.probabilities), expected, atol=1e-4)
    assert snn.input.cropped == noise + 1 and snn.health.bad_messages == 0
    assert spin_until(executor, lambda: probe.status.get('snn_node', {}).get(
        'cropped_events') == str(noise + 1), 10.0)


def test_camera_info_fits_the_whole_camera_into_the_model(ros):
    from sensor_msgs.msg import CameraInfo

    from hybrid_perception.events.array import make_events
    from hybrid_perception.ros.qos import RESULTS_QOS
    context, executor = ros
    probe = Probe(context, executor)
    info = probe.node.create_publisher(CameraInfo, 'camera_info', RESULTS_QOS)
    snn, _, _ = start(context, executor)
    assert spin_until(executor, lambda: info.get_subscription_count() >= 1, 10.0)
    info.publish(CameraInfo(width=640, height=480))
    assert spin_until(executor, lambda: snn.input.fit.sensor.width == 640, 10.0)
    corners = make_events([10, 20, 30, 40], [0, 639, 0, 639], [0, 0, 479, 479], [1, 1, 1, 1])
    probe.publish(corners, executor)
    assert spin_until(executor, lambda: snn.input.sanitizer.last_timestamp == 40, 10.0)
    assert snn.health.bad_messages == 0 and snn.input.cropped == 0
    assert '5x down-sampled, at (0, 16)' in str(snn.input.fit)
    info.publish(CameraInfo(width=0, height=0))  # a driver that does not know its size
    assert spin_until(executor, lambda: snn.health.bad_messages == 1, 10.0)
    assert 'camera_info 0x0' in snn.health.last_error and snn.input.fit.sensor.width == 640


def test_a_region_off_the_camera_is_refused_at_start_up(ros):
    context, executor = ros
    with pytest.raises(HybridPerceptionError, match='not inside the 640x480 sensor'):
        start(context, executor, snn_node__sensor_size=[640, 480],
              snn_node__roi=[600, 0, 100, 100])
