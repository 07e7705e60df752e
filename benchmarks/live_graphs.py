"""The live graphs as ``ros2 launch`` deploys them, one process per node: each model's
end-to-end latency at 1x real time, and the densest stream each graph takes in real time.

Each node runs in its own process (``hybrid-perception run CONFIG --nodes NODE``), the driver
replaying a ``dataset`` bag in 1 ms packets as the stock drivers send them. A probe process
hears the driver's event frames (the driver's clock: a frame goes out as soon as the packets
up to its stamp have) and the graph's output; an output's latency runs from when the driver
published the end of its last window to its arrival (the first ``--warm`` seconds of
outputs are not counted: start-up). Windows dropped are the gaps in the outputs' stamps. Then
H1's stream is made denser, still in real time: the bag's first seconds with uniform sensor
noise added up to each event rate (1 ms packets, each fuller, as a busier scene fills them);
the graph keeps up while no window is dropped and its latency stays flat. Figures side by
side in one run, next to a DAVIS346's 12 M events/s and the ~48 M events/s metavision_driver
publishes from a Prophesee Gen4 (../shared/REFERENCES.md). Ends with one JSON line.

    scripts/with-venv.sh python benchmarks/live_graphs.py [--seconds 12] [--rates 0.3 1 3 10]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

DAVIS346_MEV = 12.0      # a DAVIS346's bandwidth, M events/s (as issue #23 gives it)
GEN4_DRIVER_MEV = 48.0   # metavision_driver publishing a Gen4 camera, M events/s (REFERENCES.md)
CONFIG = Path(__file__).resolve().parents[1] / 'config'

_PROBE = r'''
import sys, time, json
import rclpy
from geometry_msgs.msg import PoseArray
from sensor_msgs.msg import Image
from hybrid_perception.ros.qos import RESULTS_QOS
topic, seconds, warm = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
rclpy.init()
node = rclpy.create_node('graph_probe')
heard = []
def stamp_us(msg):
    return msg.header.stamp.sec * 10**6 + msg.header.stamp.nanosec // 1000
kind = PoseArray if topic.endswith('pose') else Image
node.create_subscription(kind, topic, lambda m: heard.append((stamp_us(m), time.time_ns())),
                         RESULTS_QOS)
print('ready', flush=True)
deadline = None
while deadline is None or time.monotonic() < deadline:
    rclpy.spin_once(node, timeout_sec=0.05)
    if heard and deadline is None:
        started = time.time_ns()
        deadline = time.monotonic() + warm + seconds
print(json.dumps([h for h in heard if h[1] >= started + warm * 1e9]), flush=True)
'''

#: the graphs timed: config, the bag (``dataset`` arguments), its nodes, the driver's event
#: frames, the output timed, the output's period in stream time (µs)
GRAPHS = {
    'h1': ('gesture.yaml', ['gesture', '--samples', '66'],
           ['dvs_driver', 'snn_node', 'accumulator_node', 'ann_node'],
           '/event_frame', '/classification', 40_000),
    'h2': ('pose.yaml', ['pose', '--samples', '8'],
           ['/cam0/dvs_driver', '/cam0/state_initializer_node', '/cam0/pose_snn_node',
            '/cam1/dvs_driver', '/cam1/state_initializer_node', '/cam1/pose_snn_node'],
           '/cam0/event_frame', '/cam0/pose', 10_000),
}
#: H1's models: every stage loads the same one
H1_MODELS = ('gesture/hybrid', 'gesture/ann', 'gesture/snn')


def ros_env() -> dict:
    """One DDS domain for this run."""
    return {**os.environ, 'ROS_DOMAIN_ID': str(100 + os.getpid() % 100)}


def time_graph(graph: str, sets: list[str], seconds: float, warm: float = 3.0, *,
               hosts: dict[str, str] | None = None, nodes: list[str] | None = None) -> dict:
    """Run ``graph`` one process per node with ``--set`` values ``sets``; latency (ms) of
    each output heard in ``seconds`` after the first ``warm``, and windows dropped. ``nodes``:
    only these of the graph's; ``hosts`` puts a node in a network namespace
    (``benchmarks/two_hosts.py``): the probe for the output hears it in the namespace of the
    node that publishes it, the frames' probe in the driver's."""
    config, _, every_node, frames_topic, output, period_us = GRAPHS[graph]
    nodes = nodes or every_node
    hosts = hosts or {}
    env = ros_env()

    def start(node: str | None, *command: str) -> subprocess.Popen:
        ns = hosts.get(node)
        prefix = ['ip', 'netns', 'exec', ns] if ns else []
        return subprocess.Popen([*prefix, *command], env=env, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    publisher = next(n for n in nodes if n.endswith(_publisher_of(output)))
    driver = next(n for n in nodes if n.endswith('dvs_driver'))
    outputs = start(publisher, sys.executable, '-c', _PROBE, output, str(seconds), str(warm))
    frames_probe = start(driver, sys.executable, '-c', _PROBE, frames_topic,
                         str(seconds + warm + 6), '0')
    for probe in (outputs, frames_probe):
        assert probe.stdout.readline().strip() == 'ready'
    options = [a for s in sets for a in ('--set', s)]
    run = shutil.which('hybrid-perception')
    stages = [start(node, run, 'run', str(CONFIG / config), *options, '--nodes', node)
              for node in nodes]
    try:
        heard = json.loads(outputs.communicate(timeout=seconds + 180)[0].strip()
                           .splitlines()[-1])
        frames = json.loads(frames_probe.communicate(timeout=seconds + 180)[0].strip()
                            .splitlines()[-1])
    finally:
        for stage in stages:
            stage.send_signal(signal.SIGINT)
            stage.wait(timeout=30)
    offset_ns = min(arrived - stamp * 1000 for stamp, arrived in frames)
    latency = np.asarray([(arrived - end * 1000 - offset_ns) / 1e6 for end, arrived in heard])
    stamps = np.asarray(sorted({end for end, _ in heard}))
    dropped = int(np.sum(np.round(np.diff(stamps) / period_us) - 1))
    third = max(1, len(latency) // 3)
    return {'outputs': len(heard), 'dropped_windows': dropped,
            'p50_ms': float(np.percentile(latency, 50)),
            'p99_ms': float(np.percentile(latency, 99)),
            # a graph falling behind queues: its latency grows through the run
            'growth_ms': float(np.median(latency[-third:]) - np.median(latency[:third]))}


def _publisher_of(topic: str) -> str:
    return {'classification': 'ann_node', 'pose': 'pose_snn_node'}[topic.rsplit('/', 1)[-1]]


def keeps_up(timed: dict) -> bool:
    """No window dropped, and the latency flat (a queue filling grows it by the run's
    length) and under a second."""
    return timed['dropped_windows'] == 0 and timed['growth_ms'] < 50 and timed['p99_ms'] < 1000


def make_bag(graph: str, scratch: Path) -> tuple[Path, float]:
    """The graph's evaluation bag, and its mean event rate (events/s)."""
    from hybrid_perception.io.rosbag import EventBagReader
    bag = scratch / graph
    subprocess.run([shutil.which('hybrid-perception'), 'dataset', *GRAPHS[graph][1], '--out',
                    str(bag)], check=True, capture_output=True)
    reader = EventBagReader(bag, topic='/cam0/events' if graph == 'h2' else '/events')
    packets = [p for p in reader if p.size]
    reader.close()
    span_s = (int(packets[-1]['timestamp'][-1]) - int(packets[0]['timestamp'][0])) / 1e6
    return bag, sum(p.size for p in packets) / span_s


def replay_sets(bag: Path) -> list[str]:
    """The driver(s) replaying ``bag`` in real time, looping, in 1 ms packets."""
    return ['dvs_driver.source=rosbag', f'dvs_driver.path={bag}', 'dvs_driver.loop=true',
            'dvs_driver.rate=1.0', 'dvs_driver.packet_period_us=1000']


def dense_bag(bag: Path, rate_mev: float, out: Path, seconds: float = 3.0) -> Path:
    """The first ``seconds`` of H1's ``bag`` with uniform noise added up to ``rate_mev``
    M events/s."""
    from hybrid_perception.events.array import SensorSize, concatenate, make_events
    from hybrid_perception.io.rosbag import EventBagReader, EventBagWriter
    reader = EventBagReader(bag, topic='/events')
    sensor = reader.sensor
    start = None
    scene = []
    for packet in reader:
        if packet.size:
            start = int(packet['timestamp'][0]) if start is None else start
            if packet['timestamp'][-1] >= start + seconds * 1e6:
                break
            scene.append(packet)
    reader.close()
    scene = concatenate(scene)
    rng = np.random.default_rng(0)
    n = max(0, int(rate_mev * 1e6 * seconds) - scene.size)
    noise = make_events(start + rng.integers(0, int(seconds * 1e6), n),
                        rng.integers(0, sensor.width, n), rng.integers(0, sensor.height, n),
                        rng.integers(0, 2, n))
    merged = concatenate([scene, noise])
    merged = merged[np.argsort(merged['timestamp'], kind='stable')]
    cuts = np.searchsorted(merged['timestamp'], np.arange(start, start + seconds * 1e6, 1000))
    with EventBagWriter(out, SensorSize(sensor.width, sensor.height)) as writer:
        for k, (lo, hi) in enumerate(zip(cuts, [*cuts[1:], merged.size], strict=True)):
            writer.write(merged[lo:hi], start + 1000 * k)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--seconds', type=float, default=12.0,
                        help='outputs heard per run (after the first --warm)')
    parser.add_argument('--warm', type=float, default=3.0,
                        help='seconds of outputs not counted (start-up)')
    parser.add_argument('--rates', type=float, nargs='+', default=[0.3, 1, 3, 10],
                        help='H1 event rates tried, M events/s, until one falls behind')
    args = parser.parse_args()
    figures: dict = {}
    with tempfile.TemporaryDirectory() as scratch:
        bags = {graph: make_bag(graph, Path(scratch)) for graph in GRAPHS}
        print('At 1x real time, 1 ms packets, one process per node:')
        print(f'{"graph":<5} {"model":<16} {"M ev/s":>7} {"p50 ms":>8} {"p99 ms":>8} '
              f'{"growth ms":>10} {"outputs":>8} {"dropped":>8}')
        runs = [('h1', model, [f'{n}.model={model}' for n in GRAPHS['h1'][2][1:]])
                for model in H1_MODELS] + [
            ('h2', 'pose (100 Hz)', []),
            # our Python drivers' packets 5 ms: two cameras' 1 ms packets, six processes on
            # two cores, pay rclpy's and DDS's per-message cost (README, Benchmarks) once too often
            ('h2', 'pose, 5 ms pkts', ['dvs_driver.packet_period_us=5000'])]
        for graph, model, sets in runs:
            bag, rate = bags[graph]
            timed = time_graph(graph, replay_sets(bag) + sets, args.seconds, args.warm)
            key = re.sub(r'[^a-z0-9]+', '_', model.lower()).strip('_')
            figures[f'{graph}_{key}_1x'] = {
                **timed, 'm_events_per_s': rate / 1e6}
            print(f'{graph:<5} {model:<16} {rate / 1e6:7.2f} {timed["p50_ms"]:8.2f} '
                  f'{timed["p99_ms"]:8.2f} {timed["growth_ms"]:10.1f} {timed["outputs"]:>8} '
                  f'{timed["dropped_windows"]:>8}')
        print('\nH1 (gesture/hybrid) on denser streams in real time (noise added, 1 ms packets):')
        print(f'{"M ev/s":>7} {"p50 ms":>8} {"p99 ms":>8} {"growth ms":>10} {"dropped":>8} '
              f'{"keeps up":>9}')
        best = 0.0
        for rate in args.rates:
            bag = dense_bag(bags['h1'][0], rate, Path(scratch) / f'dense_{rate:g}')
            timed = time_graph('h1', replay_sets(bag), args.seconds, args.warm)
            ok = keeps_up(timed)
            print(f'{rate:7.2f} {timed["p50_ms"]:8.2f} {timed["p99_ms"]:8.2f} '
                  f'{timed["growth_ms"]:10.1f} {timed["dropped_windows"]:>8} '
                  f'{"yes" if ok else "no":>9}')
            figures[f'h1_dense_{rate:g}'] = {**timed, 'm_events_per_s': rate, 'keeps_up': ok}
            if not ok:
                break
            best = rate
        figures['h1_sustained_m_events_per_s'] = best
        print(f'H1 sustains {best:g} M events/s in real time (of the rates tried): '
              f'{best / DAVIS346_MEV:.2f} of a DAVIS346 ({DAVIS346_MEV:g} M), '
              f'{best / GEN4_DRIVER_MEV:.3f} of a Gen4 through metavision_driver '
              f'({GEN4_DRIVER_MEV:g} M)')
    print(json.dumps({k: ({kk: round(vv, 4) if isinstance(vv, float) else vv
                           for kk, vv in v.items()} if isinstance(v, dict) else round(v, 4))
                      for k, v in figures.items()}))
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
