"""Event path throughput, measured side by side in one run.

Prints events/s for PointCloud2 encode+decode, for binning into the SNN input tensor and for
the DVS simulator, each next to a memcpy of the same bytes (the ratio to memory bandwidth) and
to a straightforward per-event Python loop; then decoding each EventPacket encoding (on a
simulated 640x480 scene) next to a memcpy of its bytes and to the plain-Python reading of its
specification; then the dvs_driver's throughput to a subscriber in this process while the
driver runs in another, at several packet sizes (the per-message cost behind the default
packet period), as PointCloud2 and as EventPacket, timed after its first 20 messages, each
``--repeats`` times (the median, and the slowest and fastest: a stream between two processes
on a 2-core machine varies by 2x from run to run). Ends with one JSON line of the figures.

    scripts/with-venv.sh python benchmarks/event_path.py [--events N] [--repeats 3] [--quick]
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from hybrid_perception.events.array import EVENT_DTYPE, SensorSize, concatenate, make_events
from hybrid_perception.events.codecs import ENCODINGS, PacketDecoder, encode_packet
from hybrid_perception.events.codecs.reference import ReferenceDecoder
from hybrid_perception.events.pointcloud import (
    POINT_DTYPE,
    POINT_FIELDS,
    decode_points,
    encode_points,
    points_view,
)
from hybrid_perception.events.representations import to_spike_tensor
from hybrid_perception.io.rosbag import EventBagWriter
from hybrid_perception.io.sources import SyntheticSource
from hybrid_perception.sim.reference import (
    encode_points_loop,
    simulate_step_loop,
    spike_tensor_loop,
)
from hybrid_perception.sim.simulator import DvsParams, DvsSimulator

SENSOR = SensorSize(128, 128)


def best_seconds(fn, repeat: int = 5) -> float:
    best = float('inf')
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def random_events(n: int, rng: np.random.Generator) -> np.ndarray:
    return make_events(np.sort(rng.integers(0, 100_000, n)), rng.integers(0, 128, n),
                       rng.integers(0, 128, n), rng.integers(0, 2, n))


def memcpy_rate(events: np.ndarray) -> float:
    """Events/s of copying their bytes (a plain memcpy: raw bytes, no structured dtype)."""
    raw = events.view(np.uint8)
    out = np.empty_like(raw)
    return events.size / best_seconds(lambda: np.copyto(out, raw))


def codec_figures(events: np.ndarray, loop_n: int, per_packet: int = 20_000) -> dict:
    """Encode + decode packet by packet, as the driver and its subscribers do (one packet,
    one message, including the copy into the message's bytes)."""
    def round_trip():
        for start in range(0, events.size, per_packet):
            packet = events[start:start + per_packet]
            stamp = int(packet['timestamp'][0])
            data = encode_points(packet, stamp).tobytes()
            decode_points(points_view(data, POINT_FIELDS, POINT_DTYPE.itemsize, packet.size),
                          stamp)

    small = events[:loop_n]

    def loop_round_trip():
        data = encode_points_loop(small, 0)
        out = np.empty(small.size, dtype=EVENT_DTYPE)
        for i in range(small.size):
            x, y, t, p = struct.unpack_from('<HHIB', data, 9 * i)
            out[i] = (t, x, y, p)
    return {'ours': events.size / best_seconds(round_trip, repeat=3),
            'loop': loop_n / best_seconds(loop_round_trip, repeat=1)}


def binning_figures(events: np.ndarray, loop_n: int, per_window: int = 50_000) -> dict:
    """Binning window by window into (10, 2, 128, 128) SNN input tensors (a fresh tensor per
    window, as the SNN node makes them)."""
    kwargs = dict(bin_us=100, n_bins=10)

    def binning():
        for start in range(0, events.size, per_window):
            window = events[start:start + per_window]
            to_spike_tensor(window, SENSOR, t_start_us=int(window['timestamp'][0]), **kwargs)

    small = events[:loop_n]
    return {'ours': events.size / best_seconds(binning, repeat=3),
            'loop': loop_n / best_seconds(lambda: spike_tensor_loop(
                small, SENSOR, t_start_us=int(small['timestamp'][0]), **kwargs), repeat=1)}


def simulator_figures(rng: np.random.Generator) -> dict:
    """A noisy frame sequence (every pixel busy), vectorised vs per-pixel loop."""
    base = rng.random((128, 128))
    frames = [np.clip(base + rng.normal(0, 0.3, base.shape), 0, 1) for _ in range(20)]
    sim = DvsSimulator(SENSOR, DvsParams(), rng=0)
    sim.reset(base, 0)
    twin = copy.deepcopy(sim)
    start = time.perf_counter()
    n = sum(sim.step(f, (k + 1) * 1000).size for k, f in enumerate(frames))
    ours = n / (time.perf_counter() - start)
    start = time.perf_counter()
    n_loop = sum(simulate_step_loop(twin, f, (k + 1) * 1000).size
                 for k, f in enumerate(frames[:2]))
    return {'ours': ours, 'loop': n_loop / (time.perf_counter() - start)}


def packet_figures(events: np.ndarray, sensor: SensorSize, per_packet: int = 20_000,
                   reference_n: int = 20_000) -> dict[str, dict]:
    """Each EventPacket encoding of the same events: bytes an event, compiled decoding of the
    whole stream packet by packet, a memcpy of the same bytes, the plain-Python reference on
    the first ``reference_n`` events."""
    return {encoding: encoding_figures(events, sensor, encoding, per_packet, reference_n)
            for encoding in ENCODINGS}


def encoding_figures(events: np.ndarray, sensor: SensorSize, encoding: str, per_packet: int,
                     reference_n: int) -> dict:
    packets = [encode_packet(events[i:i + per_packet], encoding, sensor.width, sensor.height)
               for i in range(0, events.size, per_packet)]
    raw = np.frombuffer(b''.join(p.data for p in packets), np.uint8)
    copy = np.empty_like(raw)
    small = encode_packet(events[:reference_n], encoding, sensor.width, sensor.height)

    def decode():
        decoder = PacketDecoder(encoding)
        for packet in packets:
            decoder.decode(packet)
    return {'bytes_per_event': raw.size / events.size,
            'ours': events.size / best_seconds(decode, repeat=3),
            'memcpy': events.size / best_seconds(lambda: np.copyto(copy, raw)),
            'reference': reference_n / best_seconds(lambda: ReferenceDecoder(encoding).decode(
                small.data, sensor.width, sensor.height, small.time_base), repeat=1)}


#: messages a stream runs before it is timed: the first ones meet the reader's matching and
#: the driver's first reads, not the steady stream
WARM_UP_MESSAGES = 20


def driver_throughput(bag: Path, n_events: int, events_type: str = 'point_cloud2',
                      encoding: str = 'evt3', per_packet: int | None = None) -> dict:
    """Replay ``bag`` as fast as possible from a dvs_driver process publishing
    ``events_type`` (EventPacket in ``encoding``); count what arrives, decoded. Given
    ``per_packet`` (the bag's events a packet), the reader decodes nothing and counts that
    many a message: the driver's own ceiling, the reader's cost taken out."""
    import rclpy
    from sensor_msgs.msg import PointCloud2

    from hybrid_perception.events.cdr import read_cloud, read_event_packet
    from hybrid_perception.events.codecs import PacketStream, warm_up
    from hybrid_perception.ros.entry import make_executor, spin_until
    from hybrid_perception.ros.event_input import event_packet_type
    from hybrid_perception.ros.qos import stream_qos
    context = rclpy.Context()
    rclpy.init(context=context)
    node = rclpy.create_node('throughput_counter', context=context)
    received = {'events': 0, 'messages': 0, 'first': None, 'before_first': 0}

    stream = PacketStream()
    warm_up()   # as the nodes do: no compiling inside the timed stream

    def on_packet(raw: bytes) -> None:
        """As a node reads its events: from the message's bytes (a raw subscription)."""
        if received['messages'] == WARM_UP_MESSAGES:
            received['first'] = time.perf_counter()
            received['before_first'] = received['events']
        if per_packet:
            received['events'] += per_packet
        elif events_type == 'point_cloud2':
            received['events'] += read_cloud(raw).events().size
        else:
            received['events'] += stream.push(read_event_packet(raw)[0])[0].size
        received['messages'] += 1
    kind = PointCloud2 if events_type == 'point_cloud2' else event_packet_type()
    node.create_subscription(kind, 'events', on_packet, stream_qos('reliable', live=False),
                             raw=True)
    executor = make_executor(context)
    executor.add_node(node)
    executable = shutil.which('dvs_driver')
    if executable is None:
        sys.exit('dvs_driver is not on PATH: run through scripts/with-venv.sh (make bench)')
    driver = subprocess.Popen(
        [executable, '--ros-args', '-p', 'source:=rosbag', '-p',
         f'path:={bag}', '-p', 'rate:=0.0', '-p', 'wait_for_subscribers:=1',
         '-p', f'events_type:={events_type}', '-p', f'encoding:={encoding}',
         '--log-level', 'warn'],
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    spin_until(executor, lambda: received['events'] >= n_events, 300.0, period_s=0.1)
    seconds = time.perf_counter() - received['first']
    driver.send_signal(signal.SIGINT)
    driver.wait(timeout=20)
    executor.shutdown()
    context.try_shutdown()
    return {'events_per_s': (received['events'] - received['before_first']) / seconds,
            'drops': n_events - received['events'], 'messages': received['messages'],
            'lost_packets': stream.dropped_packets}


def write_replay_bag(path: Path, n_events: int, per_packet: int,
                     rng: np.random.Generator, encoding: str | None = None) -> None:
    """Packets of random events, as PointCloud2 or (``encoding``) EventPacket."""
    with EventBagWriter(path, SENSOR, encoding=encoding) as writer:
        for k in range(n_events // per_packet):
            events = make_events(k * 1000 + np.sort(rng.integers(0, 1000, per_packet)),
                                 rng.integers(0, 128, per_packet),
                                 rng.integers(0, 128, per_packet),
                                 rng.integers(0, 2, per_packet))
            writer.write(events, k * 1000)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--events', type=int, default=60_000_000,
                        help='events replayed through the driver at the largest packet size')
    parser.add_argument('--repeats', type=int, default=3,
                        help='runs of each driver -> subscriber stream (default 3)')
    parser.add_argument('--quick', action='store_true', help='small sizes (smoke run)')
    args = parser.parse_args()
    os.environ.setdefault('ROS_AUTOMATIC_DISCOVERY_RANGE', 'LOCALHOST')
    rng = np.random.default_rng(0)
    # 8 M events = 128 MB, four times the L3 cache: the figures are about memory, not cache.
    n = 500_000 if args.quick else 8_000_000
    loop_n = 20_000
    events = random_events(n, rng)
    memcpy = memcpy_rate(events)
    figures = {'memcpy_events_per_s': memcpy}
    print(f'memcpy of {n} 16-byte events ({n * 16 / 2**20:.0f} MiB): {memcpy / 1e6:.0f} Mev/s '
          f'= {memcpy * 16 / 1e9:.1f} GB/s (1 core)')
    for name, result in (('pointcloud2_encode_decode (20k-event packets)',
                          codec_figures(events, loop_n)),
                         ('spike_tensor_binning (50k-event windows)',
                          binning_figures(events, loop_n)),
                         ('simulator', simulator_figures(rng))):
        key = name.split()[0]
        figures[f'{key}_events_per_s'] = result['ours']
        figures[f'{key}_vs_memcpy'] = result['ours'] / memcpy
        figures[f'{key}_vs_python_loop'] = result['ours'] / result['loop']
        print(f'{name:48s} {result["ours"] / 1e6:8.1f} Mev/s = '
              f'{result["ours"] / memcpy:6.1%} of memcpy, '
              f'{result["ours"] / result["loop"]:8.0f}x a per-event Python loop '
              f'({result["loop"] / 1e6:.3f} Mev/s)')

    camera = SensorSize(640, 480)
    scene = concatenate([c for c in SyntheticSource(camera, duration_s=0.1 if args.quick
                                                     else 1.0, seed=1)])
    print(f'EventPacket decoding: {scene.size} events of a simulated {camera.width}x'
          f'{camera.height} scene, 20k-event packets (1 core)')
    for encoding, result in packet_figures(scene, camera).items():
        for key in ('bytes_per_event', 'ours'):
            figures[f'{encoding}_decode_{key}'] = result[key]
        figures[f'{encoding}_decode_vs_memcpy'] = result['ours'] / result['memcpy']
        figures[f'{encoding}_decode_vs_python'] = result['ours'] / result['reference']
        print(f'  {encoding:12s} {result["bytes_per_event"]:4.2f} B/event  decode '
              f'{result["ours"] / 1e6:7.1f} Mev/s = {result["ours"] / result["memcpy"]:6.1%} '
              f'of a memcpy of its bytes, {result["ours"] / result["reference"]:6.0f}x the '
              f'plain-Python reference ({result["reference"] / 1e6:.3f} Mev/s)')

    # (events a packet, message type, EventPacket encoding, the reader decodes, the bag's
    # EventPacket encoding: None for a PointCloud2 bag; evt3 for evt3 is forwarded as recorded)
    runs = [(n, 'point_cloud2', '', True, None) for n in ((1_000, 20_000) if args.quick
                                                           else (1_000, 5_000, 20_000))]
    runs += [(20_000, 'event_packet', 'evt3', True, None),
             (20_000, 'event_packet', 'evt2', True, None),
             (20_000, 'event_packet', 'evt3', False, None),
             (20_000, 'event_packet', 'evt3', True, 'evt3')]
    # 50 k events a packet is a metavision_driver stream at 50 M events/s: it sends a message
    # every 1 ms of events (event_message_time_threshold, its size threshold off by default)
    runs += [(50_000, 'event_packet', 'evt3', False, 'evt3'),
             (50_000, 'event_packet', 'evt3', True, 'evt3')]
    with tempfile.TemporaryDirectory() as tmp:
        for per_packet, events_type, encoding, decoded, recorded in runs:
            # Small packets are slow per event: fewer events, still thousands of messages.
            total = args.events // 5 if per_packet < 20_000 else args.events
            if args.quick:
                total //= 20
            bag = Path(tmp) / f'replay_{per_packet}_{recorded or "pointcloud2"}'
            if not bag.exists():
                write_replay_bag(bag, total, per_packet, rng, recorded)
            results = sorted((driver_throughput(bag, total // per_packet * per_packet,
                                                events_type, encoding or 'evt3',
                                                None if decoded else per_packet)
                              for _ in range(args.repeats)), key=lambda r: r['events_per_s'])
            result = results[len(results) // 2]
            result['drops'] = max(r['drops'] for r in results)
            us_per_msg = 1e6 / (result['events_per_s'] / per_packet)
            key = f'driver_{per_packet}_per_packet' + (
                '' if events_type == 'point_cloud2' else f'_{encoding}') + (
                '' if decoded else '_not_decoded') + ('_forwarded' if recorded else '')
            figures[f'{key}_events_per_s'] = result['events_per_s']
            figures[f'{key}_events_per_s_range'] = [results[0]['events_per_s'],
                                                    results[-1]['events_per_s']]
            figures[f'{key}_drops'] = result['drops']
            figures[f'{key}_us_per_message'] = us_per_msg
            what = f'{events_type} {encoding}'.strip()
            print(f'dvs_driver -> other process, {per_packet:6d} events/packet, '
                  f'{what:17s}: {result["events_per_s"] / 1e6:6.1f} Mev/s '
                  f'({results[0]["events_per_s"] / 1e6:.1f}-'
                  f'{results[-1]["events_per_s"] / 1e6:.1f}), {us_per_msg:7.1f} µs/message, '
                  f'{result["drops"]} dropped of {total} in the worst run'
                  + ('' if decoded else ' (the reader decodes nothing: the driver alone)')
                  + (f' (an {recorded} bag: forwarded as recorded)' if recorded else ''))
    print(json.dumps({k: round(v, 4) if isinstance(v, float) else
                      [round(x, 4) for x in v] if isinstance(v, list) else v
                      for k, v in figures.items()}))
    return 0


if __name__ == '__main__':
    sys.exit(main())
