"""``hybrid-perception simulate``: a synthetic event bag, without ROS."""

from __future__ import annotations

import argparse

__all__ = ['add_parser']


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser('simulate', help='write a synthetic event bag (no ROS needed)')
    parser.add_argument('out', help='bag to create')
    parser.add_argument('--duration', type=float, default=2.0, help='seconds of scene')
    parser.add_argument('--width', type=int, default=128)
    parser.add_argument('--height', type=int, default=128)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--packet-period-us', type=int, default=1000)
    parser.add_argument('--storage', choices=['mcap', 'sqlite3'], default='mcap')
    parser.set_defaults(func=simulate_bag)


def simulate_bag(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from hybrid_perception.events.array import SensorSize
    from hybrid_perception.io.rosbag import EventBagWriter
    from hybrid_perception.io.sources import SyntheticSource, packetize

    sensor = SensorSize(args.width, args.height)
    source = SyntheticSource(sensor, duration_s=args.duration, seed=args.seed)
    n_frames = int(args.duration * 1e6 // source.frame_period_us)
    frames = tqdm(source, total=n_frames, unit='frame', desc='simulating')
    total = 0
    with EventBagWriter(args.out, sensor, storage=args.storage) as writer:
        for stamp, packet in packetize(frames, args.packet_period_us):
            writer.write(packet, stamp)
            total += packet.size
    print(f'wrote {total} events ({args.duration} s of a {sensor.width}x{sensor.height} '
          f'synthetic scene) to {args.out}')
    return 0
