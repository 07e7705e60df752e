"""H1's graph split as the seed deploys it: the driver and the SNN on a "Loihi host", the
accumulator and the ANN on a "Jetson host", two Linux network namespaces joined by a veth
pair, DDS discovering across the link (multicast, as between two machines). The decisions
that cross it are the model's, message for message, as on one host.

Needs root (CI has it) for ``ip netns``; addresses only on the link the test creates, which is
removed after it."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
from support import Host, recorded

from hybrid_perception.events.array import make_events
from hybrid_perception.hybrid.gesture.bundle import load_bundle
from hybrid_perception.io.rosbag import EventBagWriter
from hybrid_perception.io.sources import packetize
from hybrid_perception.ros.tools.namespaces import two_hosts

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which('ip') is None,
    reason='network namespaces need root and iproute2')


def _sent_bytes(namespace: str, device: str) -> int:
    import json
    out = subprocess.run(['ip', '-n', namespace, '-s', '-j', 'link', 'show', 'dev', device],
                         check=True, capture_output=True, text=True).stdout
    return int(json.loads(out)[0]['stats64']['tx']['bytes'])


def _decisions(bag: Path) -> list[np.ndarray]:
    return [np.frombuffer(bytes(m.data), np.float32) for _, m in
            recorded(bag, '/classification')]


def test_the_split_graph_decides_as_one_host_does(gesture_events, offline_probabilities,
                                                  tmp_path):
    bag = tmp_path / 'take'
    from hybrid_perception.datasets.gestures import GestureClips
    with EventBagWriter(bag, GestureClips().renderer.sensor) as writer:
        # the take, then one event later: the stream moves on past the last interval
        for stamp, packet in packetize([gesture_events, make_events([240_000], [0], [0], [1])],
                                       1000):
            writer.write(packet, stamp)
    graph = str(ROOT / 'config' / 'gesture.yaml')
    with two_hosts('hp', 213) as (loihi_ns, jetson_ns, link):
        loihi, jetson = Host(loihi_ns, tmp_path), Host(jetson_ns, tmp_path)
        try:
            loihi.start('snn', 'run', graph, '--nodes', 'snn_node',
                        '--set', 'snn_node.reliability=reliable')
            jetson.start('graph', 'run', graph, '--nodes', 'accumulator_node', 'ann_node')
            jetson.start('record', 'record', str(tmp_path / 'decisions'),
                         '--topic', '/classification')
            # the accumulator has discovered the SNN across the link: the stream may start
            assert jetson.wait_for('graph', 'input /snn/spikes connected'), \
                loihi.output() + jetson.output()
            before = _sent_bytes(loihi_ns, link)
            driver = loihi.start('driver', 'run', graph, '--nodes', 'dvs_driver',
                                 '--set', 'dvs_driver.source=rosbag',
                                 '--set', f'dvs_driver.path={bag}',
                                 '--set', 'dvs_driver.wait_for_subscribers=1')
            driver.wait(timeout=180)
            assert loihi.wait_for('driver', 'the replayed file ended', 10)
            time.sleep(3.0)                   # the last decision crosses back and is recorded
            sent = _sent_bytes(loihi_ns, link) - before
        finally:
            loihi.stop()
            jetson.stop()
    decisions = _decisions(tmp_path / 'decisions')
    expected = offline_probabilities(gesture_events, 'gesture/hybrid')
    assert len(decisions) == len(expected), loihi.output() + jetson.output()
    assert np.allclose(np.stack(decisions), expected, atol=1e-4)
    assert 'Traceback' not in loihi.output() + jetson.output()
    # the spikes went over the link (not a shared-memory shortcut between the namespaces):
    # every interval's spike raster, as mono8, left the Loihi host
    channels, *positions = load_bundle('gesture/hybrid').spec.feature_shape
    interval = load_bundle('gesture/hybrid').spec.interval
    print(f'{sent} bytes sent over the link during the replay')
    assert sent > len(expected) * channels * int(np.prod(positions)) * interval


@pytest.mark.skipif(shutil.which('nft') is None, reason='random loss needs nftables')
def test_the_split_graph_rides_out_loss_and_an_outage(gesture_events, tmp_path):
    """A take looped in real time across the link: 1 % then 5 % of the Jetson's incoming
    packets dropped at random (nftables), then the link down for 5 s. The graph keeps
    deciding through the loss, and after the outage it decides again by itself (no process
    restarted); the accumulator's /diagnostics counts the gap and its length."""
    bag = tmp_path / 'take'
    from hybrid_perception.datasets.gestures import GestureClips
    with EventBagWriter(bag, GestureClips().renderer.sensor) as writer:
        for stamp, packet in packetize([gesture_events], 1000):
            writer.write(packet, stamp)
    graph = str(ROOT / 'config' / 'gesture.yaml')
    phases: dict[str, tuple[int, int]] = {}
    with two_hosts('hp', 213) as (loihi_ns, jetson_ns, link):
        loihi, jetson = Host(loihi_ns, tmp_path), Host(jetson_ns, tmp_path)
        try:
            jetson.start('graph', 'run', graph, '--nodes', 'accumulator_node', 'ann_node')
            jetson.start('record', 'record', str(tmp_path / 'run'), '--topic',
                         '/classification', '--topic', '/diagnostics')
            loihi.start('graph', 'run', graph, '--nodes', 'dvs_driver', 'snn_node',
                        '--set', 'dvs_driver.source=rosbag', '--set', f'dvs_driver.path={bag}',
                        '--set', 'dvs_driver.loop=true')
            assert jetson.wait_for('graph', 'input /snn/spikes connected'), \
                loihi.output() + jetson.output()
            assert jetson.wait_for('graph', 'input /features connected')
            time.sleep(3.0)
            nft = ['ip', 'netns', 'exec', jetson_ns, 'nft']
            subprocess.run([*nft, 'add', 'table', 'inet', 'loss'], check=True)
            subprocess.run([*nft, 'add', 'chain', 'inet', 'loss', 'in', '{ type filter hook '
                            'input priority 0 ; }'], check=True)
            for name, percent in (('clean', 0), ('1 %', 1), ('5 %', 5)):
                if percent:
                    subprocess.run([*nft, 'flush', 'chain', 'inet', 'loss', 'in'], check=True)
                    subprocess.run([*nft, 'add', 'rule', 'inet', 'loss', 'in', 'numgen',
                                    'random', 'mod', '100', '<', str(percent), 'drop'],
                                   check=True)
                start = time.time_ns()
                time.sleep(6.0)
                phases[name] = (start, time.time_ns())
            subprocess.run([*nft, 'delete', 'table', 'inet', 'loss'], check=True)
            start = time.time_ns()
            subprocess.run(['ip', '-n', loihi_ns, 'link', 'set', link, 'down'], check=True)
            time.sleep(5.0)
            subprocess.run(['ip', '-n', loihi_ns, 'link', 'set', link, 'up'], check=True)
            phases['outage'] = (start, time.time_ns())
            time.sleep(10.0)
            phases['after'] = (phases['outage'][1], time.time_ns())
            alive = [p.poll() is None for p, _ in loihi.processes + jetson.processes]
        finally:
            loihi.stop()
            jetson.stop()
    assert all(alive), loihi.output() + jetson.output()
    decided = [t for t, _ in recorded(tmp_path / 'run', '/classification')]
    counts = {name: sum(a <= t < b for t in decided) for name, (a, b) in phases.items()}
    for name in ('clean', '1 %', '5 %', 'after'):
        assert counts[name] > 0, (counts, loihi.output() + jetson.output())
    # after the link came back the decisions resumed without a restart, and the stage across
    # the link counted the outage it saw
    accumulator = [{kv.key: kv.value for kv in status.values}
                   for _, m in recorded(tmp_path / 'run', '/diagnostics')
                   for status in m.status if status.name.startswith('accumulator_node')]
    assert accumulator, jetson.output()
    last = accumulator[-1]
    assert int(last['input_gaps']) >= 1 and float(last['longest_input_gap_s']) >= 4.0, last
    print('decisions per phase:', counts, 'accumulator:', {k: last[k] for k in (
        'features', 'input_gaps', 'longest_input_gap_s', 'lost_publishers')})
