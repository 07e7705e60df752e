"""The console entry point every node shares: start, spin, and stop cleanly."""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable

import rclpy
from rclpy.executors import Executor, SingleThreadedExecutor
from rclpy.node import Node
from rclpy.signals import SignalHandlerOptions
from rclpy.task import Future

from hybrid_perception.errors import HybridPerceptionError
from hybrid_perception.ros.signals import catch_stop_signals

__all__ = ['init_without_signal_handlers', 'make_executor', 'one_compute_thread', 'run_node',
           'spin_until', 'spin_until_quiet', 'stop_node']


def run_node(factory: Callable[[], Node], name: str, args: list[str] | None = None) -> None:
    """Spin one node; a configuration it refuses (bad parameter, missing model) is one FATAL
    line naming the problem and exit status 2, never a traceback. A stop asked for while the
    process was still starting ends it before its model loads (status 0)."""
    stop = init_without_signal_handlers(args)
    if stop.is_set():
        rclpy.try_shutdown()
        return
    try:
        node = factory()
    except HybridPerceptionError as err:
        rclpy.logging.get_logger(name).fatal(str(err))
        rclpy.try_shutdown()
        raise SystemExit(2) from err
    one_compute_thread()
    executor = make_executor()
    executor.add_node(node)
    try:
        spin_until(executor, stop.is_set, batched=True)
    finally:
        stop_node(node)
        rclpy.try_shutdown()


def make_executor(context: rclpy.Context | None = None) -> Executor:
    """rclpy's EventsExecutor where the distribution has it (Jazzy and later), else the
    SingleThreadedExecutor. Every node, graph and tool spins on this.

    The SingleThreadedExecutor rebuilds its wait set in Python before each callback (every
    subscription, timer, service and QoS event handler of every node); the events executor
    queues callbacks from the middleware's listeners in C++. Measured here (``snn_node``
    taking the driver's 1 ms packets from another process): 560-660 packets a second on the
    SingleThreadedExecutor, 1610-1640 on the events executor, which keeps up with a camera
    driver's 1000."""
    try:
        from rclpy.experimental import EventsExecutor
    except ImportError:  # Humble, Iron
        return SingleThreadedExecutor(context=context)
    return EventsExecutor(context=context)


def init_without_signal_handlers(args: list[str] | None = None) -> threading.Event:
    """``rclpy.init`` whose Ctrl-C / SIGTERM only set the returned event for the spin loop,
    with :mod:`~hybrid_perception.ros.signals`' grace period for a process that stays busy.

    rclpy's own handler shuts the context down from wherever the signal lands (even inside a
    destructor, where the KeyboardInterrupt is swallowed), so the next spin fails with a
    traceback instead of the nodes stopping cleanly.
    """
    stop = catch_stop_signals()
    rclpy.init(args=args, signal_handler_options=SignalHandlerOptions.NO)
    return stop


def one_compute_thread() -> None:
    """Nodes step small arrays one message at a time, where thread pools gain nothing and their
    idle workers, spinning on every core, starve the executor and the DDS threads. torch's
    intra-op pool: live on this 2-core machine the hybrid gesture graph's p50 latency went from
    145 ms to 22 ms with one thread. OpenBLAS's (numpy's matrix products in the compiled SNN
    runtime): after each product its worker spins for a while, 33 % of a core for
    ``snn_node`` at a tenth of real time, gone with one thread. ``OMP_NUM_THREADS`` and
    ``OPENBLAS_NUM_THREADS``, when set, are left to rule."""
    if 'torch' in sys.modules and 'OMP_NUM_THREADS' not in os.environ:
        sys.modules['torch'].set_num_threads(1)
    if 'OPENBLAS_NUM_THREADS' not in os.environ:
        from threadpoolctl import threadpool_limits
        threadpool_limits(1, user_api='blas')


def stop_node(node: Node) -> None:
    """Release what the node holds (a Lava runtime's processes), then the node."""
    close = getattr(node, 'close', None)
    if close:
        close()
    node.destroy_node()


def spin_until(executor, done: Callable[[], bool], timeout_s: float | None = None, *,
               period_s: float = 0.05, batched: bool = False) -> bool:
    """Serve ``executor`` until ``done()``, ``timeout_s`` or the end of its context (a signal
    shut it down: a normal stop); returns ``done()``. Every command, tool and test that spins
    spins here.

    ``done()`` is asked after every callback, or with ``batched`` once per ``period_s`` of
    callbacks served inside the executor without returning to this loop: what a node's own
    process does (the loop's Python per callback was 3 % of a core at 1000 packets a second).
    """
    context = executor.context
    end = None if timeout_s is None else time.monotonic() + timeout_s
    while context.ok() and not done() and (end is None or time.monotonic() < end):
        try:
            if batched:   # a fresh future each time: a waited-on future keeps a callback
                executor.spin_until_future_complete(Future(), timeout_sec=period_s)
            else:
                executor.spin_once(timeout_sec=period_s)
        except Exception:
            # SIGTERM/SIGINT shut the context down while spin_once was building its wait set
            # (rclpy raises ExternalShutdownException or its RCLError then): a normal stop.
            # Anything else is a real error.
            if context.ok():
                raise
            break
    return done()


def spin_until_quiet(executor, count: Callable[[], int], quiet_s: float,
                     done: Callable[[], bool] = lambda: False) -> None:
    """Serve ``executor`` until ``done()``, or until ``count()`` (outputs heard so far) has not
    changed for ``quiet_s``: the graph has finished what it was given."""
    seen, last = count(), time.monotonic()

    def settled() -> bool:
        nonlocal seen, last
        now, latest = time.monotonic(), count()
        if latest != seen:
            seen, last = latest, now
        return done() or now - last >= quiet_s

    spin_until(executor, settled, period_s=0.01)
