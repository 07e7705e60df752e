"""Ctrl-C and SIGTERM for the node processes: a stop the spin loop sees, and a grace period
after which a process still busy exits anyway.

``ros2 launch`` sends SIGINT to each node and escalates to SIGTERM, then SIGKILL, after a few
seconds; a node must be gone well before (#24: within 2 s, status 0) whatever it was doing.
The spin loop stops at the next message boundary, which is enough when callbacks are short;
but a node loading its model, stepping a backlog of windows in one callback or still importing
torch has no boundary in sight. So the first signal sets the stop, and a process still running
:data:`GRACE_S` later logs one line and exits with status 0, its worker processes (Lava's)
killed first. A second signal exits at once.

This module imports nothing heavy: the node executables install it before importing rclpy,
torch or their model (:mod:`hybrid_perception.ros.executables`), so a signal during start-up is
a clean stop rather than a KeyboardInterrupt traceback and status -2.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import select
import signal
import sys
import threading
import time

__all__ = ['GRACE_S', 'catch_stop_signals', 'leave']

#: seconds between the first SIGINT/SIGTERM and the forced exit of a process still busy
GRACE_S = 1.0

_STOPS = (signal.SIGINT, signal.SIGTERM)
_stop: threading.Event | None = None


def catch_stop_signals() -> threading.Event:
    """The process's stop event, set by SIGINT or SIGTERM (installed on the first call, from
    the main thread; later calls return the same event).

    The signals are taken by a thread reading the interpreter's wake-up pipe, not by the
    Python-level handler alone: that handler runs only when the main thread next executes
    bytecode, which a numba compilation or a model load in C put off by over a second here.
    """
    global _stop
    if _stop is not None:
        return _stop
    stop = _stop = threading.Event()
    read, write = os.pipe()
    os.set_blocking(write, False)
    for number in _STOPS:
        signal.signal(number, lambda *_: stop.set())
    signal.set_wakeup_fd(write)
    threading.Thread(target=_watch, args=(read, stop), name='stop-signals', daemon=True).start()
    return stop


def _watch(pipe: int, stop: threading.Event) -> None:
    """Set ``stop`` on the first signal; leave on a second one, or :data:`GRACE_S` after the
    first."""
    first = _next_stop(pipe, None)
    stop.set()
    second = _next_stop(pipe, GRACE_S)
    _exit_now(f'second {second.name}' if second else f'still busy {GRACE_S} s after {first.name}')


def _next_stop(pipe: int, timeout_s: float | None) -> signal.Signals | None:
    """The next SIGINT or SIGTERM written to the wake-up pipe, None after ``timeout_s``."""
    end = None if timeout_s is None else time.monotonic() + timeout_s
    while True:
        left = None if end is None else max(0.0, end - time.monotonic())
        if not select.select([pipe], [], [], left)[0]:
            return None
        for number in os.read(pipe, 64):
            if number in _STOPS:
                return signal.Signals(number)


def _exit_now(why: str) -> None:
    """Leave without the node's clean-up: a stop that has waited long enough."""
    print(f'[{os.path.basename(sys.argv[0])}] {why}: exiting now', file=sys.stderr, flush=True)
    for child in multiprocessing.active_children():
        child.kill()
    leave(0)


def leave(status: int) -> None:
    """End the process once its node has stopped (its DDS entities destroyed, rclpy shut down
    and its log closed), without the interpreter's finalization: tearing down torch, numba and
    the rest of the modules took 0.7 s on an idle machine and over 2 s on a busy one, longer
    than the whole stop, and releases nothing the operating system does not."""
    sys.stdout.flush()
    sys.stderr.flush()
    logging.shutdown()
    os._exit(status)
