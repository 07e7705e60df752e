"""state_initializer_node: events -> H2's ANN -> ``snn/state_init`` and ``ann/pose`` (the
"Jetson" side of H2).

At every multiple of ``1 / rate_hz`` on the sensor clock (once the stream has passed it) the
ANN sees a histogram of the events of the window before and gives the pose and the initial
state of every layer of the SNN. ``snn/state_init`` carries both as one 32FC1 row (the pose's
x, y per joint, then each layer's current and voltage in C order), stamped with the boundary:
the SNN node writes it in at the step that starts there. ``ann/pose`` is the ANN's pose in the
camera's pixels, z = each joint's confidence (hybrid.pose.evidence, from the same histograms).
At the SNN's rate this node alone is the ANN baseline.
"""

from __future__ import annotations

import time

import numpy as np
from diagnostic_msgs.msg import DiagnosticArray
from geometry_msgs.msg import PoseArray
from rclpy.node import Node
from sensor_msgs.msg import Image

from hybrid_perception.errors import HybridPerceptionError
from hybrid_perception.hybrid.pose.bundle import load_pose_bundle
from hybrid_perception.hybrid.pose.evidence import JointEvidence
from hybrid_perception.hybrid.pose.stream import EventHistory
from hybrid_perception.networks.ann.runtime import ANN_BACKENDS
from hybrid_perception.ros.conversions import matrix_to_image, pose_array_bytes
from hybrid_perception.ros.diagnostics import InputHealth, Latency, diagnostics
from hybrid_perception.ros.entry import run_node
from hybrid_perception.ros.event_input import (
    EVENT_INPUT_PARAMETERS,
    EventInput,
    push_resetting_after_gaps,
)
from hybrid_perception.ros.parameters import declare_parameters
from hybrid_perception.ros.qos import RESULTS_QOS

PARAMETERS = {
    'model': ('pose', 'pose model folder, or the shipped one by name (pose)'),
    'rate_hz': (10.0, 'initializations per second: 10 is one per SNN window (the hybrid); the '
                      'SNN\'s rate (100) makes this node the ANN baseline'),
    'backend': ('onnxruntime', f'ANN backend: {", ".join(ANN_BACKENDS)} (onnxruntime uses '
                               'TensorRT or CUDA when present)'),
    **EVENT_INPUT_PARAMETERS,
}


class StateInitializerNode(Node):
    def __init__(self, **kwargs) -> None:
        super().__init__('state_initializer_node', **kwargs)
        self.p = p = declare_parameters(self, PARAMETERS)
        if not 0 < p['rate_hz'] <= 1000 or 1e6 % p['rate_hz']:
            raise HybridPerceptionError(f'rate_hz must divide a second into whole µs, got '
                                        f'{p["rate_hz"]}')
        self.bundle = load_pose_bundle(p['model'])
        self.windows = self.bundle.spec.windows
        self.initializer = self.bundle.pose_initializer(p['backend'])
        self.initializer.warm_up()
        self.history = EventHistory(int(1e6 / p['rate_hz']), self.windows.window_us,
                                    int(p['max_gap_s'] * 1e6))
        self.evidence = JointEvidence(self.windows.sensor, self.windows.downsample)
        self.latency = Latency()
        self.stats = {'initializations': 0}
        self.health = InputHealth(self)
        self.state_pub = self.create_publisher(Image, 'snn/state_init', RESULTS_QOS)
        self.pose_pub = self.create_publisher(PoseArray, 'ann/pose', RESULTS_QOS)
        self.diag_pub = self.create_publisher(DiagnosticArray, '/diagnostics', RESULTS_QOS)
        self.input = EventInput(self, self.windows.sensor, p, self.health, self._on_events,
                                 crop=self.bundle.spec.camera_crop)
        self.create_timer(1.0, self._publish_diagnostics)
        self.get_logger().info(
            f'pose initializer from {self.bundle.path} on {self.initializer.runtime.device}: '
            f'{p["rate_hz"]:g} Hz, histograms of '
            f'{self.windows.ann_bins} x {self.windows.window_us // self.windows.ann_bins} µs')

    def _on_events(self, events: np.ndarray, stamp: int, frame: str) -> None:
        boundaries = push_resetting_after_gaps(self, self.history, events, stamp,
                                               self.evidence.reset, 'joint evidence cleared')
        for boundary, before in boundaries:
            started = time.perf_counter()
            histogram = self.windows.ann_input(before, boundary)
            initialization = self.initializer(histogram)
            self.state_pub.publish(matrix_to_image(initialization.pack()[None], '32FC1',
                                                   boundary, frame))
            period = self.history.period_us
            self.evidence.add(self.windows.latest_spikes(histogram, period), period)
            joints = np.column_stack([self.input.fit.to_camera(initialization.pose),
                                      self.evidence(initialization.pose)])
            self.pose_pub.publish(pose_array_bytes(joints, boundary, frame))
            self.latency.add(time.perf_counter() - started)
            self.stats['initializations'] += 1

    def _publish_diagnostics(self) -> None:
        level, message = self.health.status(self.stats['initializations'] > 0)
        values = {**self.stats, **self.health.figures(),
                  **self.latency.figures('initialization'),
                  'dropped_events': self.input.dropped, **self.input.figures(),
                  'restarts': self.history.restarts, 'model': str(self.bundle.path)}
        self.diag_pub.publish(diagnostics(self, 'pose initializer', level, message,
                                          self.initializer.runtime.device, values))


def main(args=None) -> None:
    run_node(StateInitializerNode, 'state_initializer_node', args)


if __name__ == '__main__':
    main()
