"""The hop between the Loihi host and the Jetson host, against the same stages on one host.

The messages that cross it in the seed's split: H1's ``snn/spikes`` raster (mono8, the hybrid
model's feature neurons x its interval I) from the Loihi host to the accumulator on the
Jetson, and H2's ``snn/state_init`` vector (32FC1: the pose and every SNN layer's current and
voltage) from the Jetson to the pose SNN on the Loihi host. A publisher process stamps each
message with the wall clock as it goes out and a subscriber process reads the clock as it
arrives (one kernel, one clock: the one-way latency, no echo). Side by side in one run: both
processes in one network namespace (one host) and in two joined by a veth pair (two hosts;
needs root, iproute2). Latency at the graph's own rate (H1: one raster per 10 ms bin x I;
H2: 100 Hz), then throughput (as fast as the publisher can, reliable, for 3 s). Then the
whole H1 graph, one host and split (the driver and ``snn_node`` on the Loihi host,
``accumulator_node`` and ``ann_node`` on the Jetson) and H2's pair (one camera's driver and
pose SNN on the Loihi host, its state initializer on the Jetson), replaying a ``dataset`` bag
in real time: each output's end-to-end latency, from the driver publishing its last window's end
(the driver's clock, read from its event frames) to the output's arrival (the harness of
``benchmarks/live_graphs.py``).
Ends with one JSON line.

    sudo scripts/with-venv.sh python benchmarks/two_hosts.py [--seconds 5]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from live_graphs import make_bag, replay_sets, ros_env, time_graph

_PROBE = r'''
import sys, time, json
import numpy as np
import rclpy
from sensor_msgs.msg import Image
from hybrid_perception.ros.qos import RESULTS_QOS
role, size, rate, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
rclpy.init()
node = rclpy.create_node(f'hop_{role}')
if role == 'sub':
    latencies, sizes = [], 0
    def heard(msg):
        global sizes
        now = time.time_ns()
        latencies.append((now - (msg.header.stamp.sec * 10**9 + msg.header.stamp.nanosec)) / 1e6)
        sizes += len(msg.data)
    node.create_subscription(Image, 'hop', heard, RESULTS_QOS)
    print('ready', flush=True)
    deadline = None
    while True:
        rclpy.spin_once(node, timeout_sec=0.05)
        if latencies and deadline is None:
            deadline = time.monotonic() + seconds + 2.0
        if deadline is not None and time.monotonic() > deadline:
            break
    print(json.dumps({'latency_ms': latencies, 'bytes': sizes}), flush=True)
else:
    pub = node.create_publisher(Image, 'hop', RESULTS_QOS)
    while pub.get_subscription_count() == 0:
        rclpy.spin_once(node, timeout_sec=0.05)
    time.sleep(1.0)
    msg = Image(height=1, width=size, encoding='mono8', step=size, data=bytes(size))
    end = time.monotonic() + seconds
    sent = refused = 0
    while time.monotonic() < end:
        now = time.time_ns()
        msg.header.stamp.sec, msg.header.stamp.nanosec = divmod(now, 10**9)
        try:
            pub.publish(msg)
            sent += 1
        except Exception:   # the reliable writer's history is full past its blocking time
            refused += 1
        if rate > 0:
            time.sleep(max(0.0, 1.0 / rate - (time.time_ns() - now) / 1e9))
    pub.wait_for_all_acked()
    print(json.dumps({'sent': sent, 'refused': refused}), flush=True)
'''


def _env() -> dict:
    """One DDS domain for this run, discovery across the link."""
    return {**ros_env(), 'ROS_AUTOMATIC_DISCOVERY_RANGE': 'SUBNET'}


def hop(publisher_ns: str, subscriber_ns: str, size: int, rate: float, seconds: float
        ) -> dict:
    env = _env()

    def start(ns, role):
        return subprocess.Popen(['ip', 'netns', 'exec', ns, sys.executable, '-c', _PROBE, role,
                                 str(size), str(rate), str(seconds)], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sub = start(subscriber_ns, 'sub')
    assert sub.stdout.readline().strip() == 'ready'
    pub = start(publisher_ns, 'pub')
    out, err = pub.communicate(timeout=seconds + 120)
    if pub.returncode:
        raise RuntimeError(f'the publisher failed: {err[-2000:]}')
    sent = json.loads(out.strip().splitlines()[-1])
    out, err = sub.communicate(timeout=seconds + 120)
    if sub.returncode:
        raise RuntimeError(f'the subscriber failed: {err[-2000:]}')
    heard = json.loads(out.strip().splitlines()[-1])
    latency = np.asarray(heard['latency_ms'])
    return {'sent': sent['sent'], 'refused': sent['refused'], 'received': len(latency),
            'p50_ms': float(np.percentile(latency, 50)) if len(latency) else None,
            'p99_ms': float(np.percentile(latency, 99)) if len(latency) else None,
            'mb_per_s': heard['bytes'] / seconds / 1e6}


#: the graphs split: the Loihi host's nodes, the Jetson's (``live_graphs.GRAPHS`` has the rest)
SPLITS = {
    'h1': (['dvs_driver', 'snn_node'], ['accumulator_node', 'ann_node']),
    'h2': (['/cam0/dvs_driver', '/cam0/pose_snn_node'], ['/cam0/state_initializer_node']),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--seconds', type=float, default=5.0)
    args = parser.parse_args()
    if os.geteuid() != 0:
        print('needs root for network namespaces')
        return 2
    from hybrid_perception.hybrid.gesture.bundle import load_bundle
    from hybrid_perception.hybrid.pose.bundle import load_pose_bundle
    gesture = load_bundle('gesture/hybrid').spec
    pose = load_pose_bundle('pose').spec
    h1 = int(np.prod(gesture.feature_shape)) * gesture.interval
    h2 = 4 * (pose.joints * 2 + 2 * sum(int(np.prod(s)) for s in pose.snn.layer_shapes()))
    messages = {'h1_spikes': (h1, 1000.0 / (10 * gesture.interval)), 'h2_state_init': (h2, 100.0)}
    figures: dict = {}
    from hybrid_perception.ros.tools.namespaces import two_hosts
    with two_hosts('hb', 214) as (loihi, jetson, _), tempfile.TemporaryDirectory() as scratch:
        print(f'{"message":<14} {"bytes":>7} {"where":<10} {"p50 ms":>7} {"p99 ms":>7} '
              f'{"received":>9} {"max MB/s":>9}')
        for name, (size, rate) in messages.items():
            # H1 crosses from the Loihi host, H2 from the Jetson
            src, dst = (loihi, jetson) if name.startswith('h1') else (jetson, loihi)
            for where, (a, b) in (('one host', (src, src)), ('two hosts', (src, dst))):
                timed = hop(a, b, size, rate, args.seconds)
                flat_out = hop(a, b, size, 0.0, 3.0)
                print(f'{name:<14} {size:>7} {where:<10} {timed["p50_ms"]:7.3f} '
                      f'{timed["p99_ms"]:7.3f} {timed["received"]:>4}/{timed["sent"]:<4} '
                      f'{flat_out["mb_per_s"]:9.1f}')
                key = f'{name}_{where.replace(" ", "_")}'
                figures[key] = {'bytes': size, 'rate_hz': rate, **timed,
                                'max_mb_per_s': flat_out['mb_per_s']}
            one, two = figures[f'{name}_one_host'], figures[f'{name}_two_hosts']
            figures[f'{name}_added_p50_ms'] = two['p50_ms'] - one['p50_ms']
            figures[f'{name}_added_p99_ms'] = two['p99_ms'] - one['p99_ms']
            figures[f'{name}_throughput_ratio'] = two['max_mb_per_s'] / one['max_mb_per_s']
        print(f'{"graph":<14} {"where":<10} {"p50 ms":>7} {"p99 ms":>7} {"outputs":>9} '
              f'{"dropped":>8}')
        for graph, (on_loihi, on_jetson) in SPLITS.items():
            bag, _ = make_bag(graph, Path(scratch))
            for where, jetson_ns in (('one host', loihi), ('two hosts', jetson)):
                hosts = {**dict.fromkeys(on_loihi, loihi), **dict.fromkeys(on_jetson, jetson_ns)}
                timed = time_graph(graph, replay_sets(bag), args.seconds * 4, hosts=hosts,
                                   nodes=[*on_loihi, *on_jetson])
                print(f'{graph:<14} {where:<10} {timed["p50_ms"]:7.2f} {timed["p99_ms"]:7.2f} '
                      f'{timed["outputs"]:>9} {timed["dropped_windows"]:>8}')
                figures[f'{graph}_{where.replace(" ", "_")}'] = timed
            one, two = figures[f'{graph}_one_host'], figures[f'{graph}_two_hosts']
            figures[f'{graph}_added_p50_ms'] = two['p50_ms'] - one['p50_ms']
            figures[f'{graph}_added_p99_ms'] = two['p99_ms'] - one['p99_ms']
    print('The veth pair is a kernel link with no wire: the added latency is the DDS/UDP path '
          'across namespaces (the one-host run may use shared memory), not a network\'s.')
    print(json.dumps({k: round(v, 4) if isinstance(v, float) else v
                      for k, v in figures.items()}))
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
