"""Helpers the tests import (conftest.py files are not importable by name: there are several)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import numpy as np

from hybrid_perception.ros.entry import spin_until as _spin_until
from hybrid_perception.ros.signals import GRACE_S


def spin_until(executor, predicate, timeout_s: float = 10.0) -> bool:
    """The package's spin helper, with a timeout always: a test waits 10 s, not forever."""
    return _spin_until(executor, predicate, timeout_s, period_s=0.02)


class Host:
    """``hybrid-perception`` processes (or a node executable's, ``program=``) started inside
    one network namespace (or this one, for ``None``), their output kept in files of
    ``folder``."""

    def __init__(self, namespace: str | None, folder: Path) -> None:
        self.namespace = namespace
        self.folder = folder
        # the same domain on both hosts; discovery over the link, not only localhost
        self.env = {**os.environ, 'ROS_AUTOMATIC_DISCOVERY_RANGE':
                    'SUBNET' if namespace else 'LOCALHOST'}
        self.processes: list[tuple[subprocess.Popen, Path]] = []

    def start(self, name: str, *args: str, program: str = 'hybrid-perception') -> subprocess.Popen:
        log = self.folder / f'{self.namespace}-{name}.log'
        inside = ['ip', 'netns', 'exec', self.namespace] if self.namespace else []
        process = subprocess.Popen([*inside, shutil.which(program), *args],
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


#: each graph's nodes as ``ros2 launch`` runs them, one process each, in data-path order:
#: (log name, executable, its ``--ros-args``), fed by the synthetic sources faster than real
#: time so that every stage is busy; events best effort, as from a live camera
GRAPHS = {
    'gesture': [('dvs_driver', 'dvs_driver', ['-p', 'rate:=3.0']),
                ('snn_node', 'snn_node', []),
                ('accumulator_node', 'accumulator_node', []),
                ('ann_node', 'ann_node', [])],
    'pose': [('dvs_driver', 'dvs_driver', ['-r', '__ns:=/cam0', '-p', 'rate:=3.0',
                                            '-p', 'frame_id:=cam0']),
             ('state_initializer_node', 'state_initializer_node', ['-r', '__ns:=/cam0']),
             ('pose_snn_node', 'pose_snn_node', ['-r', '__ns:=/cam0']),
             ('skeleton_node', 'skeleton_node', [])],
    'conversion': [('image_player', 'image_player', ['-p', 'rate_hz:=200.0']),
                   ('image_classifier_node', 'image_classifier_node', [])],
}


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


def recorded(bag: Path, topic: str) -> list[tuple[int, object]]:
    """(receive time in ns, message) of every message of ``topic`` the recorder kept."""
    from rosbags.rosbag2 import Reader

    from hybrid_perception.io.rosbag import typestore
    store = typestore()
    with Reader(bag) as reader:
        wanted = [c for c in reader.connections if c.topic == topic]
        return [(t, store.deserialize_cdr(raw, c.msgtype))
                for c, t, raw in reader.messages(connections=wanted)]


#: the layout `ros2 run camera_calibration cameracalibrator` saves as ost.yaml
OST_YAML = """\
image_width: 346
image_height: 260
camera_name: davis346
camera_matrix:
  rows: 3
  cols: 3
  data: [256.1, 0, 172.4, 0, 255.8, 131.0, 0, 0, 1]
distortion_model: plumb_bob
distortion_coefficients:
  rows: 1
  cols: 5
  data: [-0.35, 0.12, 0.001, -0.0005, 0]
rectification_matrix:
  rows: 3
  cols: 3
  data: [1, 0, 0, 0, 1, 0, 0, 0, 1]
projection_matrix:
  rows: 3
  cols: 4
  data: [201.3, 0, 171.9, 0, 0, 230.7, 130.2, 0, 0, 0, 1, 0]
"""


def imported_by_starting(graph: str) -> tuple[bool, bool]:
    """(torch, lava) imported by a fresh process that starts ``graph`` (a dict literal of
    nodes and parameters, as ros.graph.start_graph takes) and stands it ready."""
    import subprocess
    import sys
    script = ('import sys, rclpy\n'
              'from hybrid_perception.ros.graph import start_graph\n'
              'rclpy.init()\n'
              f'nodes = start_graph({graph})\n'
              "print('torch' in sys.modules, 'lava' in sys.modules)\n"
              'for n in nodes: n.destroy_node()\n'
              'rclpy.shutdown()\n')
    result = subprocess.run([sys.executable, '-c', script], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    torch, lava = result.stdout.split()[-2:]
    return torch == 'True', lava == 'True'


def pose_points(msg) -> np.ndarray:
    """(J, 3) positions of a PoseArray message (as rclpy deserialized what a node wrote)."""
    return np.array([[p.position.x, p.position.y, p.position.z] for p in msg.poses]
                    ).reshape(-1, 3)


def pose_array(points, stamp_us: int, frame_id: str):
    """A PoseArray built with rclpy's message classes, as any other node would write one."""
    from geometry_msgs.msg import Pose, PoseArray

    from hybrid_perception.ros.conversions import header
    msg = PoseArray(header=header(stamp_us, frame_id))
    for point in np.asarray(points, np.float64):
        pose = Pose()
        pose.position.x, pose.position.y = float(point[0]), float(point[1])
        pose.position.z = float(point[2]) if len(point) > 2 else 0.0
        msg.poses.append(pose)
    return msg
