"""Helpers the tests import (conftest.py files are not importable by name: there are several)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

from hybrid_perception.ros.entry import spin_until as _spin_until


def spin_until(executor, predicate, timeout_s: float = 10.0) -> bool:
    """The package's spin helper, with a timeout always: a test waits 10 s, not forever."""
    return _spin_until(executor, predicate, timeout_s, period_s=0.02)


class Host:
    """``hybrid-perception`` processes started inside one network namespace (or this one, for
    ``None``), their output kept in files of ``folder``."""

    def __init__(self, namespace: str | None, folder: Path) -> None:
        self.namespace = namespace
        self.folder = folder
        # the same domain on both hosts; discovery over the link, not only localhost
        self.env = {**os.environ, 'ROS_AUTOMATIC_DISCOVERY_RANGE':
                    'SUBNET' if namespace else 'LOCALHOST'}
        self.processes: list[tuple[subprocess.Popen, Path]] = []

    def start(self, name: str, *args: str) -> subprocess.Popen:
        log = self.folder / f'{self.namespace}-{name}.log'
        inside = ['ip', 'netns', 'exec', self.namespace] if self.namespace else []
        process = subprocess.Popen([*inside, shutil.which('hybrid-perception'), *args],
                                   env=self.env, stdout=log.open('w'), stderr=subprocess.STDOUT)
        self.processes.append((process, log))
        return process

    def wait_for(self, name: str, text: str, timeout_s: float = 120.0) -> bool:
        log = self.folder / f'{self.namespace}-{name}.log'
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if text in log.read_text():
                return True
            time.sleep(0.2)
        return False

    def stop(self) -> None:
        for process, _ in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
        for process, _ in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()

    def output(self) -> str:
        return '\n'.join(f'--- {log.name}\n{log.read_text()[-3000:]}'
                         for _, log in self.processes)


def recorded(bag: Path, topic: str) -> list[tuple[int, object]]:
    """(receive time in ns, message) of every message of ``topic`` the recorder kept."""
    from rosbags.rosbag2 import Reader

    from hybrid_perception.io.rosbag import typestore
    store = typestore()
    with Reader(bag) as reader:
        wanted = [c for c in reader.connections if c.topic == topic]
        return [(t, store.deserialize_cdr(raw, c.msgtype))
                for c, t, raw in reader.messages(connections=wanted)]
