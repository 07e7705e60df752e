"""pose_snn_node: events + ``snn/state_init`` -> H2's SNN -> ``pose``
at the high rate (the "Loihi" side of H2).

Events are cut into one bin per step (10 ms at 100 Hz), each step runs through the SNN (torch,
or Lava: simulated here, Loihi when lava-loihi finds one) and the host's readout, and the pose
at the step's end goes out as a PoseArray in the camera's pixels (x = column, y = row, z = the
joint's confidence in [0, 1]: how much the recent events back it, hybrid.pose.evidence). At a
window boundary the step waits (at most ``wait_steps`` steps) for the initialization stamped
with it and writes its states into the runtime first. ``snn: alone`` runs the SNN-alone
baseline, which takes no initialization.
"""

from __future__ import annotations

import time

import numpy as np
from diagnostic_msgs.msg import DiagnosticArray
from geometry_msgs.msg import PoseArray
from rclpy.node import Node
from sensor_msgs.msg import Image

from hybrid_perception.hybrid.common import DEFAULT_SNN_BACKEND, SNN_BACKENDS, EventWindows
from hybrid_perception.hybrid.pose.bundle import SNN_KINDS, load_pose_bundle
from hybrid_perception.hybrid.pose.stream import PoseStepper
from hybrid_perception.hybrid.pose.tracker import Initialization
from hybrid_perception.ros.conversions import image_to_matrix, pose_array_bytes, stamp_us
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
    'snn': ('hybrid', f'which SNN: {", ".join(SNN_KINDS)} (alone: the baseline from a zero '
                      'state, it ignores snn/state_init)'),
    'backend': (DEFAULT_SNN_BACKEND, f'SNN backend: {", ".join(SNN_BACKENDS)} (compiled: the '
                                     'exported network on the CPU; torch: SLAYER, CUDA when '
                                     'present; lava: Loihi when lava-loihi finds one, else its '
                                     'simulation)'),
    'wait_steps': (10, 'steps a window boundary may wait for its initialization'),
    **EVENT_INPUT_PARAMETERS,
}


class PoseSnnNode(Node):
    def __init__(self, **kwargs) -> None:
        super().__init__('pose_snn_node', **kwargs)
        self.p = p = declare_parameters(self, PARAMETERS)
        self.bundle = load_pose_bundle(p['model'])
        self.spec = spec = self.bundle.spec
        # the SNN alone takes no initialization: its steps never wait for one
        self.stepper = PoseStepper(self.bundle.tracker(p['snn'], p['backend']),
                                   spec.windows.window_us,
                                   int(p['wait_steps']) if p['snn'] == 'hybrid' else 0,
                                   anchored=p['snn'] == 'hybrid')
        self.stepper.tracker.warm_up()
        self.steps = EventWindows(spec.windows.sensor, spec.windows.step_us, 1,
                                  spec.windows.downsample, int(p['max_gap_s'] * 1e6))
        self.latency = Latency()
        self.stats = {'steps': 0}
        self.health = InputHealth(self)
        self.pose_pub = self.create_publisher(PoseArray, 'pose', RESULTS_QOS)
        self.diag_pub = self.create_publisher(DiagnosticArray, '/diagnostics', RESULTS_QOS)
        self.input = EventInput(self, spec.windows.sensor, p, self.health, self._on_events,
                                 crop=self.bundle.spec.camera_crop)
        if p['snn'] == 'hybrid':
            self.health.subscribe(Image, 'snn/state_init', self._on_state_init, RESULTS_QOS)
        self.create_timer(1.0, self._publish_diagnostics)
        self.get_logger().info(
            f'pose SNN ({p["snn"]}) from {self.bundle.path}: {spec.windows.rate_hz} Hz, '
            f'initialized every {spec.windows.window_us} µs, backend {p["backend"]}')

    def _on_state_init(self, msg: Image) -> None:
        try:
            initialization = Initialization.unpack(image_to_matrix(msg, '32FC1'),
                                                   self.spec.joints, self.spec.snn.layer_shapes())
        except ValueError as err:
            self.health.bad(f'bad snn/state_init: {err}')
            return
        self._publish(self.stepper.initialize(stamp_us(msg.header), initialization),
                      msg.header.frame_id)

    def _on_events(self, events: np.ndarray, stamp: int, frame_id: str) -> None:
        started = time.perf_counter()
        windows = push_resetting_after_gaps(self, self.steps, events, stamp,
                                            self.stepper.reset)
        for window in windows:
            self._publish(self.stepper.push(window), frame_id)
        if windows:
            self.latency.add((time.perf_counter() - started) / len(windows))

    def _publish(self, poses: list, frame_id: str) -> None:
        for end_us, pose, confidence in poses:
            joints = np.column_stack([self.input.fit.to_camera(pose), confidence])
            self.pose_pub.publish(pose_array_bytes(joints, end_us, frame_id))
            self.stats['steps'] += 1

    def _publish_diagnostics(self) -> None:
        level, message = self.health.status(self.stats['steps'] > 0)
        values = {**self.stats, **self.health.figures(),
                  'initialized': self.stepper.initialized, 'missed': self.stepper.missed,
                  'stale': self.stepper.stale, **self.latency.figures('step'),
                  'dropped_events': self.input.dropped, **self.input.figures(),
                  'late_events': self.steps.late_events, 'restarts': self.steps.restarts,
                  'snn': self.p['snn'], 'backend': self.p['backend']}
        ops = self.stepper.tracker.counter.per_step()
        if ops is not None:         # counted on the torch runtime (Lava keeps no layer spikes)
            values.update({'synaptic_ops_per_step': f'{ops.synaptic_op:.0f}',
                           'spikes_per_step': f'{ops.spike_out:.0f}'})
        self.diag_pub.publish(diagnostics(self, 'pose SNN', level, message,
                                          type(self.stepper.tracker.runtime).__name__, values))

    def close(self) -> None:
        self.stepper.tracker.runtime.close()


def main(args=None) -> None:
    run_node(PoseSnnNode, 'pose_snn_node', args)


if __name__ == '__main__':
    main()
