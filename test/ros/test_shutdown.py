"""Every node exits with status 0 soon after SIGINT or SIGTERM (#24), whatever it is doing:
here while starting (importing torch, loading its model), and the mechanism that ends a
process that stays busy (:mod:`hybrid_perception.ros.signals`); busy mid-stream in
test_restarts.py, where the graphs run."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest
from support import GRAPHS, LIMIT_S, Host, stop

from hybrid_perception.ros.signals import GRACE_S


@pytest.mark.parametrize('program', sorted({p for nodes in GRAPHS.values()
                                            for _, p, _ in nodes}))
def test_a_node_signalled_while_starting_exits_with_status_0(program, tmp_path):
    """SIGINT one second after the process starts: it is importing rclpy or torch, or loading
    its model. No KeyboardInterrupt traceback, no status -2."""
    host = Host(None, tmp_path)
    try:
        process = host.start(program, program=program)
        time.sleep(1.0)
        status, seconds = stop(process, signal.SIGINT)
    finally:
        host.stop()
    print(f'{program}: {status} in {seconds:.2f} s')
    assert status == 0 and 'Traceback' not in host.output(), host.output()
    assert seconds < LIMIT_S


STUCK = ('from hybrid_perception.ros.signals import catch_stop_signals\n'
         'catch_stop_signals()\n'
         "print('stuck', flush=True)\n"
         'while True:\n'
         '    pass\n')


def test_a_process_that_stays_busy_is_ended_after_the_grace_period():
    process = subprocess.Popen([sys.executable, '-c', STUCK], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    assert process.stdout.readline() == 'stuck\n'
    status, seconds = stop(process, signal.SIGTERM)
    assert status == 0 and seconds >= GRACE_S
    assert f'still busy {GRACE_S} s after SIGTERM: exiting now' in process.stderr.read()


def test_a_second_signal_ends_a_busy_process_at_once():
    process = subprocess.Popen([sys.executable, '-c', STUCK], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    assert process.stdout.readline() == 'stuck\n'
    started = time.monotonic()
    process.send_signal(signal.SIGINT)
    time.sleep(0.2)
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=30) == 0
    assert time.monotonic() - started < GRACE_S
    assert 'second SIGINT: exiting now' in process.stderr.read()
