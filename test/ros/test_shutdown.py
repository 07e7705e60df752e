"""Every node exits with status 0 soon after SIGINT or SIGTERM (#24), whatever it is doing:
starting (importing torch, loading its model) or busy mid-stream, each in its own process as
``ros2 launch`` runs them and signals them. A process that stays busy is ended by the grace
period of :mod:`hybrid_perception.ros.signals`."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest
from support import BUSY_GRAPHS, Host

from hybrid_perception.ros.signals import GRACE_S

#: the issue's 2 s is the grace period plus the longest a C call (dlopen of torch's libraries)
#: held the interpreter lock here (1.6 s at worst, measured on a quiet machine); the tests allow
#: a busy machine one more second to schedule the exit, and print what they measured
LIMIT_S = GRACE_S + 2.0


def stop(process: subprocess.Popen, number: int) -> tuple[int, float]:
    """(exit status, seconds from the signal to the exit)."""
    started = time.monotonic()
    process.send_signal(number)
    status = process.wait(timeout=30)
    return status, time.monotonic() - started


@pytest.mark.parametrize('graph', sorted(BUSY_GRAPHS))
def test_every_node_of_a_busy_graph_exits_promptly_with_status_0(graph, tmp_path):
    nodes = BUSY_GRAPHS[graph]
    host = Host(None, tmp_path)
    exits = {}
    try:
        for name, program, args in nodes:
            host.start(name, '--ros-args', *args, program=program)
        for name, _, _ in nodes[1:]:
            assert host.wait_for(name, 'connected'), host.output()
        time.sleep(2.0)
        # downstream first, so that every node still has its input when it is signalled
        for index in reversed(range(len(nodes))):
            number = (signal.SIGINT, signal.SIGTERM)[index % 2]
            exits[nodes[index][0]] = (number.name, *stop(host.processes[index][0], number))
    finally:
        host.stop()
    print(graph, {name: f'{how} -> {status} in {s:.2f} s' for name, (how, status, s)
                  in exits.items()})
    assert all(status == 0 for _, status, _ in exits.values()), (exits, host.output())
    assert all(s < LIMIT_S for _, _, s in exits.values()), exits


@pytest.mark.parametrize('program', sorted({p for nodes in BUSY_GRAPHS.values()
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
