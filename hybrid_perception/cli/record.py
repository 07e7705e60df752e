"""``hybrid-perception record``: topics to a rosbag2 bag, undecoded, until Ctrl-C."""

from __future__ import annotations

import argparse

__all__ = ['add_parser']


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser('record', help='record topics to a rosbag2 bag, undecoded')
    parser.add_argument('out', help='bag to create')
    parser.add_argument('--topic', action='append', default=[],
                        help='topic to record (repeatable; default: all)')
    parser.add_argument('--storage', choices=['mcap', 'sqlite3'], default='mcap')
    parser.add_argument('--duration', type=float, default=None,
                        help='stop after this many seconds (default: until Ctrl-C/SIGTERM)')
    parser.set_defaults(func=record_bag)


def record_bag(args: argparse.Namespace) -> int:
    import rclpy
    from rclpy.executors import ExternalShutdownException

    from hybrid_perception.ros.entry import make_executor, spin_until
    from hybrid_perception.ros.tools.recorder import BagRecorder

    rclpy.init()
    recorder = BagRecorder(args.out, args.topic, storage=args.storage)
    executor = make_executor()
    executor.add_node(recorder)
    try:
        spin_until(executor, lambda: recorder.failed is not None, args.duration)
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    finally:
        recorder.close()
        recorder.destroy_node()
        rclpy.try_shutdown()
    if recorder.failed is not None:
        print(f'recording stopped: {recorder.failed}; `hybrid-perception salvage {args.out}` '
              f'recovers what reached the disk (its completed chunks)')
        return 1
    print(f'recorded {sum(recorder.counts.values())} messages to {args.out}')
    return 0
