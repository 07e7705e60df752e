"""Memory under back-pressure: every node's resident memory over an overload, side by side with
the same graph unloaded (#24).

The H1 graph runs one process per node (as ``ros2 launch`` runs them), fed by the synthetic
source at ``--rate`` x real time, with ``snn_node`` reading the events reliably. In the
overloaded run a slow subscriber joins: a process that reads the events, the spike rasters, the
features and the decisions reliably and takes ``--slow-s`` over each message, so every
reliable writer has a reader that falls further behind every second. Queues are bounded (the
events' reliable writer holds a packet ``publish_timeout_s`` and then drops it, counted; the
stages keep the last 400), so memory must level off: reported per node are the RSS after
warm-up, the peak, and their ratio, for both runs. Ends with one JSON line.

    scripts/with-venv.sh python benchmarks/back_pressure.py [--seconds 60] [--rate 3]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

NODES = [('dvs_driver', ['-p', 'rate:={rate}']),
         ('snn_node', ['-p', 'reliability:=reliable']),
         ('accumulator_node', []),
         ('ann_node', [])]

SLOW_READER = '''
import sys, time, rclpy
from rclpy.qos import QoSProfile, ReliabilityPolicy, HistoryPolicy
from sensor_msgs.msg import Image, PointCloud2
from std_msgs.msg import String
rclpy.init()
node = rclpy.create_node('slow_reader')
slow = float(sys.argv[1])
every = QoSProfile(depth=1000, reliability=ReliabilityPolicy.RELIABLE,
                   history=HistoryPolicy.KEEP_ALL)
for kind, topic in ((PointCloud2, '/events'), (Image, '/snn/spikes'), (Image, '/features'),
                    (String, '/classification/label')):
    node.create_subscription(kind, topic, lambda _: time.sleep(slow), every)
print('slow reader up', flush=True)
try:
    rclpy.spin(node)
except BaseException:
    pass
'''


def rss_mb(pid: int) -> float:
    """Resident memory of a process, from /proc (MB)."""
    for line in Path(f'/proc/{pid}/status').read_text().splitlines():
        if line.startswith('VmRSS:'):
            return int(line.split()[1]) / 1024
    return float('nan')


def run(seconds: float, rate: float, slow_s: float | None, env: dict) -> dict:
    """RSS per node over ``seconds`` (sampled each second), with a slow reader or without."""
    processes = {name: subprocess.Popen(
        [shutil.which(name), '--ros-args', *[a.format(rate=rate) for a in args]],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for name, args in NODES}
    reader = None
    if slow_s is not None:
        reader = subprocess.Popen([sys.executable, '-c', SLOW_READER, str(slow_s)], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    samples: dict[str, list[float]] = {name: [] for name in processes}
    try:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            time.sleep(1.0)
            for name, process in processes.items():
                if process.poll() is None:
                    samples[name].append(rss_mb(process.pid))
        alive = all(p.poll() is None for p in processes.values())
    finally:
        for process in [*processes.values(), *([reader] if reader else [])]:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
        for process in [*processes.values(), *([reader] if reader else [])]:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
    warm = min(10, int(seconds) // 3)     # after start-up: models loaded, queues filling
    figures = {}
    for name, rss in samples.items():
        settled = rss[warm] if len(rss) > warm else float('nan')
        peak = max(rss, default=float('nan'))
        figures[name] = {'rss_after_warm_up_mb': round(settled, 1), 'peak_mb': round(peak, 1),
                         'peak_over_warm_up': round(peak / settled, 3),
                         'last_minus_half_way_mb': round(rss[-1] - rss[len(rss) // 2], 1)}
    figures['all_alive'] = alive
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--seconds', type=float, default=60.0, help='length of each run')
    parser.add_argument('--rate', type=float, default=3.0, help='replay speed of the source')
    parser.add_argument('--slow-s', type=float, default=0.5,
                        help='seconds the slow reader takes over each message')
    args = parser.parse_args()
    env = {**os.environ, 'ROS_DOMAIN_ID': os.environ.get('ROS_DOMAIN_ID', '91'),
           'ROS_AUTOMATIC_DISCOVERY_RANGE': 'LOCALHOST'}
    results = {}
    for label, slow in (('unloaded', None), ('slow_reader', args.slow_s)):
        print(f'{label}: {args.seconds:.0f} s of H1 at {args.rate}x real time'
              + (f', a reliable reader taking {slow} s a message' if slow else ''), flush=True)
        results[label] = run(args.seconds, args.rate, slow, env)
        print(f'  {"node":<18}{"after warm-up MB":>18}{"peak MB":>10}{"peak/warm":>11}'
              f'{"last-half MB":>14}')
        for name, f in results[label].items():
            if isinstance(f, dict):
                print(f'  {name:<18}{f["rss_after_warm_up_mb"]:>18}{f["peak_mb"]:>10}'
                      f'{f["peak_over_warm_up"]:>11}{f["last_minus_half_way_mb"]:>14}')
    results['peak_ratio_slow_over_unloaded'] = {
        name: round(results['slow_reader'][name]['peak_mb']
                    / results['unloaded'][name]['peak_mb'], 3) for name, _ in NODES}
    print(json.dumps({'back_pressure': results}))


if __name__ == '__main__':
    main()
