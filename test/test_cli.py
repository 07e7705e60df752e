"""The `hybrid-perception` command, run as users run it."""

from __future__ import annotations

import subprocess
import sys

import numpy as np

from hybrid_perception.events.rosbag import EventBagReader


def run(*args, timeout=120):
    return subprocess.run([sys.executable, '-m', 'hybrid_perception.cli', *args],
                          capture_output=True, text=True, timeout=timeout)


def test_help_lists_the_workflows():
    result = run('--help')
    assert result.returncode == 0
    for command in ('demo', 'simulate', 'record', 'replay'):
        assert command in result.stdout


def test_simulate_writes_a_replayable_bag(tmp_path):
    result = run('simulate', str(tmp_path / 'sim'), '--duration', '0.2', '--width', '32',
                 '--height', '24')
    assert result.returncode == 0, result.stderr
    reader = EventBagReader(tmp_path / 'sim')
    packets = list(reader)
    total = sum(p.size for p in packets)
    assert reader.sensor.width == 32 and total > 0
    assert f'wrote {total} events' in result.stdout
    starts = np.array([p['timestamp'][0] for p in packets])
    assert np.all(np.diff(starts) > 0)


def test_replay_of_a_missing_file_fails_clearly(tmp_path):
    result = run('replay', str(tmp_path / 'missing'), timeout=60)
    assert result.returncode != 0
    assert 'no such file' in result.stdout + result.stderr
