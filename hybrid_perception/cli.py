"""``hybrid-perception``: one command for the package's workflows.

ROS-dependent subcommands import rclpy lazily, so ``simulate`` and ``--help`` work without a
ROS environment.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from hybrid_perception.commands.evaluate import add_commands as add_evaluate_commands
from hybrid_perception.commands.pipeline import add_commands as add_pipeline_commands
from hybrid_perception.commands.snn import add_commands as add_snn_commands
from hybrid_perception.errors import HybridPerceptionError
from hybrid_perception.events.array import SensorSize


def _simulate(args: argparse.Namespace) -> int:
    from tqdm import tqdm

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


def _spin_until(executor, done, timeout_s: float | None) -> None:
    """Spin until ``done()``, the timeout, or a signal shuts the context down (a normal stop)."""
    context = executor.context
    end = None if timeout_s is None else time.monotonic() + timeout_s
    while context.ok() and not done() and (end is None or time.monotonic() < end):
        try:
            executor.spin_once(timeout_sec=0.05)
        except Exception:
            # SIGTERM/SIGINT shut the context down while spin_once was building its wait set
            # (rclpy raises ExternalShutdownException or its RCLError then): a normal stop.
            # Anything else is a real error.
            if context.ok():
                raise
            return


def _record(args: argparse.Namespace) -> int:
    import rclpy
    from rclpy.executors import ExternalShutdownException, SingleThreadedExecutor

    from hybrid_perception.ros.tools.recorder import BagRecorder
    rclpy.init()
    recorder = BagRecorder(args.out, args.topic, storage=args.storage)
    executor = SingleThreadedExecutor()
    executor.add_node(recorder)
    try:
        _spin_until(executor, lambda: False, args.duration)
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    finally:
        recorder.close()
        recorder.destroy_node()
        rclpy.try_shutdown()
    print(f'recorded {sum(recorder.counts.values())} messages to {args.out}')
    return 0


def _driver_parameters(**values):
    """dvs_driver parameter overrides; the rest keep the node's defaults."""
    from rclpy.parameter import Parameter
    return [Parameter(name, value=value) for name, value in values.items()]


def _replay(args: argparse.Namespace) -> int:
    import rclpy
    from rclpy.executors import ExternalShutdownException, SingleThreadedExecutor

    from hybrid_perception.ros.nodes.dvs_driver import DvsDriver
    rclpy.init()
    driver = DvsDriver(parameter_overrides=_driver_parameters(
        source='aedat4' if args.path.endswith('.aedat4') else 'rosbag', path=args.path,
        rate=args.rate, loop=args.loop, wait_for_subscribers=args.wait_for_subscribers))
    executor = SingleThreadedExecutor()
    executor.add_node(driver)
    try:
        _spin_until(executor, lambda: driver.finished.done() or driver.stats['source_errors'],
                    None)
        driver.events_pub.wait_for_all_acked()
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    finally:
        driver.destroy_node()
        rclpy.try_shutdown()
    return 0 if driver.stats['source_errors'] == 0 else 1


def _demo(args: argparse.Namespace) -> int:
    """Synthetic scene -> driver -> MCAP recorder (live), then replay the bag and count."""
    import rclpy
    from rclpy.executors import SingleThreadedExecutor
    from sensor_msgs.msg import PointCloud2

    from hybrid_perception.events.pointcloud import pointcloud_to_events
    from hybrid_perception.ros.nodes.dvs_driver import DvsDriver
    from hybrid_perception.ros.qos import stream_qos
    from hybrid_perception.ros.tools.recorder import BagRecorder
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    bag = out / time.strftime('synthetic-%Y%m%d-%H%M%S')
    rclpy.init()
    try:
        print(f'1/2 recording {args.duration} s of the synthetic scene to {bag} ...')
        executor = SingleThreadedExecutor()
        recorder = BagRecorder(bag, ['/events', '/camera_info'])
        driver = DvsDriver(parameter_overrides=_driver_parameters(
            source='synthetic', wait_for_subscribers=1))
        executor.add_node(recorder)
        executor.add_node(driver)
        _spin_until(executor, lambda: False, args.duration)
        executor.remove_node(driver)
        driver.events_pub.wait_for_all_acked()
        _spin_until(executor,
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
        replay = DvsDriver(parameter_overrides=_driver_parameters(
            source='rosbag', path=str(bag), rate=0.0, wait_for_subscribers=1))
        executor.add_node(counter)
        executor.add_node(replay)
        _spin_until(executor, replay.finished.done, 60.0)
        _spin_until(executor, lambda: received[0] >= replay.stats['events'], 10.0)
    finally:
        rclpy.try_shutdown()
    print(f'published live: {published} events; replayed from the bag: '
          f'{replay.stats["events"]}; received: {received[0]}')
    print(f'bag: {bag}')
    return 0 if received[0] == published else 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog='hybrid-perception',
        description='Hybrid SNN/ANN perception on event cameras (ROS 2).')
    sub = parser.add_subparsers(dest='command', required=True)

    demo = sub.add_parser('demo', help='record the synthetic scene to MCAP and replay it')
    demo.add_argument('--out', default='out/demo', help='folder for the bag (default out/demo)')
    demo.add_argument('--duration', type=float, default=3.0, help='seconds to record')
    demo.set_defaults(func=_demo)

    simulate = sub.add_parser('simulate', help='write a synthetic event bag (no ROS needed)')
    simulate.add_argument('out', help='bag to create')
    simulate.add_argument('--duration', type=float, default=2.0, help='seconds of scene')
    simulate.add_argument('--width', type=int, default=128)
    simulate.add_argument('--height', type=int, default=128)
    simulate.add_argument('--seed', type=int, default=0)
    simulate.add_argument('--packet-period-us', type=int, default=1000)
    simulate.add_argument('--storage', choices=['mcap', 'sqlite3'], default='mcap')
    simulate.set_defaults(func=_simulate)

    record = sub.add_parser('record', help='record topics to a rosbag2 bag, undecoded')
    record.add_argument('out', help='bag to create')
    record.add_argument('--topic', action='append', default=[],
                        help='topic to record (repeatable; default: all)')
    record.add_argument('--storage', choices=['mcap', 'sqlite3'], default='mcap')
    record.add_argument('--duration', type=float, default=None,
                        help='stop after this many seconds (default: until Ctrl-C/SIGTERM)')
    record.set_defaults(func=_record)

    replay = sub.add_parser('replay', help='publish a bag or AEDAT4 file on `events`')
    replay.add_argument('path', help='rosbag2 bag or .aedat4 file')
    replay.add_argument('--rate', type=float, default=1.0, help='1.0 real time, 0 fastest')
    replay.add_argument('--loop', action='store_true')
    replay.add_argument('--wait-for-subscribers', type=int, default=0)
    replay.set_defaults(func=_replay)

    add_snn_commands(sub)
    add_pipeline_commands(sub)
    add_evaluate_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (HybridPerceptionError, FileExistsError, ValueError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 2


if __name__ == '__main__':
    sys.exit(main())
