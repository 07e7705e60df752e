"""The console entry point every node shares: start, spin, and stop cleanly."""

from __future__ import annotations

from collections.abc import Callable

import rclpy
from rclpy.executors import ExternalShutdownException
from rclpy.node import Node

from hybrid_perception.errors import HybridPerceptionError

__all__ = ['run_node', 'stop_node']


def run_node(factory: Callable[[], Node], name: str, args: list[str] | None = None) -> None:
    """Spin one node; a configuration it refuses (bad parameter, missing model) is one FATAL
    line naming the problem and exit status 2, never a traceback."""
    rclpy.init(args=args)
    try:
        node = factory()
    except HybridPerceptionError as err:
        rclpy.logging.get_logger(name).fatal(str(err))
        rclpy.try_shutdown()
        raise SystemExit(2) from err
    try:
        rclpy.spin(node)
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    finally:
        stop_node(node)
        rclpy.try_shutdown()


def stop_node(node: Node) -> None:
    """Release what the node holds (a Lava runtime's processes), then the node."""
    close = getattr(node, 'close', None)
    if close:
        close()
    node.destroy_node()
