"""``hybrid-perception demo``: the synthetic scene -> driver -> MCAP recorder, live; then the
bag replayed as fast as possible and every event counted back."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

__all__ = ['add_parser']


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser('demo', help='record the synthetic scene to MCAP and replay it')
    parser.add_argument('--out', default='out/demo',
                        help='folder for the bag (default out/demo)')
    parser.add_argument('--duration', type=float, default=3.0, help='seconds to record')
    parser.set_defaults(func=record_and_replay)


def record_and_replay(args: argparse.Namespace) -> int:
    import rclpy
    from sensor_msgs.msg import PointCloud2

    from hybrid_perception.events.pointcloud import pointcloud_to_events
    from hybrid_perception.ros.entry import make_executor, spin_until
    from hybrid_perception.ros.nodes.dvs_driver import DvsDriver
    from hybrid_perception.ros.parameters import overrides
    from hybrid_perception.ros.qos import stream_qos
    from hybrid_perception.ros.tools.recorder import BagRecorder

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    bag = out / time.strftime('synthetic-%Y%m%d-%H%M%S')
    rclpy.init()
    try:
        print(f'1/2 recording {args.duration} s of the synthetic scene to {bag} ...')
        executor = make_executor()
        recorder = BagRecorder(bag, ['/events', '/camera_info'])
        driver = DvsDriver(parameter_overrides=overrides(source='synthetic',
                                                         wait_for_subscribers=1))
        executor.add_node(recorder)
        executor.add_node(driver)
        spin_until(executor, lambda: False, args.duration)
        executor.remove_node(driver)
        driver.events_pub.wait_for_all_acked()
        spin_until(executor,
                   lambda: recorder.counts.get('/events', 0) >= driver.stats['packets'], 5.0)
        published = driver.stats['events']
        driver.destroy_node()
        recorder.close()
        executor.remove_node(recorder)
        recorder.destroy_node()

        print(f'2/2 replaying {bag} as fast as possible ...')
        received = [0]
        counter = rclpy.create_node('event_counter')
        counter.create_subscription(
            PointCloud2, 'events',
            lambda msg: received.__setitem__(0, received[0] + pointcloud_to_events(msg).size),
            stream_qos('reliable', live=False))
        replay = DvsDriver(parameter_overrides=overrides(
            source='rosbag', path=str(bag), rate=0.0, wait_for_subscribers=1))
        executor.add_node(counter)
        executor.add_node(replay)
        spin_until(executor, replay.finished.done, 60.0)
        spin_until(executor, lambda: received[0] >= replay.stats['events'], 10.0)
    finally:
        rclpy.try_shutdown()
    print(f'published live: {published} events; replayed from the bag: '
          f'{replay.stats["events"]}; received: {received[0]}')
    print(f'bag: {bag}')
    return 0 if received[0] == published else 1
