"""``hybrid-perception replay``: a recording (any format the driver reads) published on
``events`` by the driver, once or looped; exit status 1 when it could not be read to its end."""

from __future__ import annotations

import argparse

__all__ = ['add_parser']


def add_parser(sub: argparse._SubParsersAction) -> None:
    from hybrid_perception.cli.recording_options import add_recording_options
    parser = sub.add_parser('replay', help='publish a recording on `events`')
    parser.add_argument('path', help='recording: rosbag2, AEDAT 2.0/3.1/4, Prophesee RAW/DAT, '
                                     'Event Stream, N-MNIST .bin, HDF5, CSV, npy')
    parser.add_argument('--rate', type=float, default=1.0, help='1.0 real time, 0 fastest')
    parser.add_argument('--loop', action='store_true')
    parser.add_argument('--wait-for-subscribers', type=int, default=0)
    add_recording_options(parser)
    parser.set_defaults(func=replay_file)


def replay_file(args: argparse.Namespace) -> int:
    import rclpy
    from rclpy.executors import ExternalShutdownException

    from hybrid_perception.ros.entry import make_executor, spin_until
    from hybrid_perception.ros.nodes.dvs_driver import DvsDriver
    from hybrid_perception.ros.parameters import overrides

    size = {} if args.sensor is None else {'sensor_width': args.sensor.width,
                                           'sensor_height': args.sensor.height}
    rclpy.init()
    driver = DvsDriver(parameter_overrides=overrides(
        source='file', format=args.format, path=args.path,
        topic=args.topic or '', group=args.group or '', rate=args.rate, loop=args.loop,
        wait_for_subscribers=args.wait_for_subscribers, **size))
    executor = make_executor()
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
