"""``hybrid-perception replay``: a bag or an AEDAT4 file published on ``events`` by the
driver, once or looped; exit status 1 when the file could not be read to its end."""

from __future__ import annotations

import argparse

__all__ = ['add_parser']


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser('replay', help='publish a bag or AEDAT4 file on `events`')
    parser.add_argument('path', help='rosbag2 bag or .aedat4 file')
    parser.add_argument('--rate', type=float, default=1.0, help='1.0 real time, 0 fastest')
    parser.add_argument('--loop', action='store_true')
    parser.add_argument('--wait-for-subscribers', type=int, default=0)
    parser.set_defaults(func=replay_file)


def replay_file(args: argparse.Namespace) -> int:
    import rclpy
    from rclpy.executors import ExternalShutdownException, SingleThreadedExecutor

    from hybrid_perception.ros.entry import spin_until
    from hybrid_perception.ros.nodes.dvs_driver import DvsDriver
    from hybrid_perception.ros.parameters import overrides

    rclpy.init()
    driver = DvsDriver(parameter_overrides=overrides(
        source='aedat4' if args.path.endswith('.aedat4') else 'rosbag', path=args.path,
        rate=args.rate, loop=args.loop, wait_for_subscribers=args.wait_for_subscribers))
    executor = SingleThreadedExecutor()
    executor.add_node(driver)
    try:
        spin_until(executor, lambda: driver.finished.done() or driver.stats['source_errors'])
        driver.events_pub.wait_for_all_acked()
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    finally:
        driver.destroy_node()
        rclpy.try_shutdown()
    return 0 if driver.stats['source_errors'] == 0 else 1
