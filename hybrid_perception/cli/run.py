"""``hybrid-perception run``: a graph of nodes in one process, where ``ros2 launch`` is not."""

from __future__ import annotations

import argparse
import time

__all__ = ['add_parser']


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        'run', help='run a graph YAML (config/gesture.yaml) in one process',
        description='Start every node of a graph YAML (the file launch/*.launch.py reads) in '
                    'this process and spin until Ctrl-C, --duration, or the end of a replayed '
                    'file.')
    parser.add_argument('config', help='graph YAML, e.g. config/gesture.yaml')
    parser.add_argument('--set', action='append', default=[], metavar='NODE.PARAM=VALUE',
                     help='override a parameter (repeatable), e.g. '
                          '--set dvs_driver.source=rosbag --set dvs_driver.path=gestures')
    parser.add_argument('--nodes', nargs='+', default=None, metavar='NODE',
                        help='start only these nodes of the graph (one host of a graph split '
                             'across machines, e.g. --nodes dvs_driver snn_node on the Loihi '
                             'host and --nodes accumulator_node ann_node on the Jetson)')
    parser.add_argument('--duration', type=float, default=None,
                     help='stop after this many seconds (default: Ctrl-C or end of file)')
    parser.set_defaults(func=run_graph)


def run_graph(args: argparse.Namespace) -> int:
    from hybrid_perception.ros.signals import catch_stop_signals
    catch_stop_signals()       # before rclpy, torch and the models: Ctrl-C stops start-up too
    import rclpy

    from hybrid_perception.errors import HybridPerceptionError
    from hybrid_perception.ros.entry import (
        init_without_signal_handlers,
        make_executor,
        spin_until,
        stop_node,
    )
    from hybrid_perception.ros.graph import graph_parameters, start_graph

    graph = graph_parameters(args.config, args.set)
    if args.nodes is not None:
        unknown = sorted(set(args.nodes) - set(graph))
        if unknown:
            raise HybridPerceptionError(f'{args.config} has no node {", ".join(unknown)} '
                                        f'(it has {", ".join(graph)})')
        graph = {name: graph[name] for name in graph if name in args.nodes}
    stop = init_without_signal_handlers()
    nodes = []
    try:
        nodes = start_graph(graph)
        executor = make_executor()
        for node in nodes:
            executor.add_node(node)
        names = ', '.join(n.get_fully_qualified_name() for n in nodes)
        print(f'running {names} from {args.config} (Ctrl-C stops)')
        ended = []     # when a replayed file ended: its last packets get a second to land

        def finished() -> bool:
            if not ended and any(_replay_finished(n) for n in nodes):
                ended.append(time.monotonic())
            return stop.is_set() or bool(ended) and time.monotonic() > ended[0] + 1.0

        spin_until(executor, finished, args.duration, batched=True)
        if ended and not stop.is_set():
            print('the replayed file ended')
    finally:
        for node in nodes:
            stop_node(node)
        rclpy.try_shutdown()
    return 0


def _replay_finished(node) -> bool:
    finished = getattr(node, 'finished', None)
    return finished is not None and finished.done()
