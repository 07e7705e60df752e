"""snn_node: events -> the SNN head of an H1 model -> ``snn/spikes`` (the "Loihi" side).

Event packets are cut into the model's input windows (I bins of ``bin_us``, aligned on the
sensor clock); each bin runs through the SNN (compiled, torch, or Lava: simulated here, Loihi
when lava-loihi finds one) as soon as it is complete (on the compiled runtime a step ahead:
:meth:`SpikingStage.add_bin`), and a window's output spikes go out as a ``mono8`` raster,
rows = neurons (C-order flattening of the layer's (C, H, W)), cols = the window's time steps,
255 = spike. The stamp is the window's end on the sensor clock. An
all-ANN model has no SNN: its raster is the binned input, which the accumulator turns into
event frames.
"""

from __future__ import annotations

import time

import numpy as np
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus
from rclpy.node import Node
from sensor_msgs.msg import Image

from hybrid_perception.events.array import SensorSize
from hybrid_perception.hybrid.common import DEFAULT_SNN_BACKEND, SNN_BACKENDS, EventWindows
from hybrid_perception.hybrid.gesture.bundle import load_bundle
from hybrid_perception.hybrid.gesture.stream import SpikingStage
from hybrid_perception.networks.energy import EnergyModel
from hybrid_perception.ros.conversions import image_bytes
from hybrid_perception.ros.diagnostics import InputHealth, Latency, RealTimeLoad, diagnostics
from hybrid_perception.ros.entry import run_node
from hybrid_perception.ros.event_input import (
    EVENT_INPUT_PARAMETERS,
    EventInput,
    push_resetting_after_gaps,
)
from hybrid_perception.ros.parameters import declare_parameters
from hybrid_perception.ros.qos import RESULTS_QOS

PARAMETERS = {
    'model': ('gesture/hybrid', 'model folder, or a shipped model by name (gesture/hybrid, '
                                'gesture/ann, gesture/snn, gesture/converted)'),
    'backend': (DEFAULT_SNN_BACKEND, f'SNN backend: {", ".join(SNN_BACKENDS)} (compiled: the '
                                     'exported network on the CPU; torch: SLAYER, CUDA when '
                                     'present; lava: Loihi when lava-loihi finds one, else its '
                                     'simulation)'),
    **EVENT_INPUT_PARAMETERS,
    'energy_platform': ('loihi', 'hardware model of the /diagnostics energy estimate'),
}


class SnnNode(Node):
    def __init__(self, **kwargs) -> None:
        super().__init__('snn_node', **kwargs)
        self.p = p = declare_parameters(self, PARAMETERS)
        self.bundle = load_bundle(p['model'])
        self.energy = EnergyModel(p['energy_platform'])
        self.stage = SpikingStage(self.bundle, p['backend'])
        binning = self.bundle.binning
        window_us = self.bundle.spec.interval * binning.bin_us
        self._say_load(self.stage.warm_up(), window_us * 1e-6)
        self.load = RealTimeLoad()
        self.sensor = SensorSize(binning.sensor_width, binning.sensor_height)
        # bin by bin, each run as it completes (SpikingStage.add_bin), grouped into windows
        self.bins = EventWindows(self.sensor, binning.bin_us, 1, binning.downsample,
                                 int(p['max_gap_s'] * 1e6), align_us=window_us)
        self.latency = Latency()
        self.stats = {'windows': 0}
        self.health = InputHealth(self)
        self.spikes_pub = self.create_publisher(Image, 'snn/spikes', RESULTS_QOS)
        #: the window's raster (neurons, steps), filled step by step; ``filled`` steps so far
        self.raster = np.zeros((self.stage.neurons, self.bundle.spec.window_steps), np.uint8)
        self.filled = 0
        self.diag_pub = self.create_publisher(DiagnosticArray, '/diagnostics', RESULTS_QOS)
        self.input = EventInput(self, self.sensor, p, self.health, self._on_events)
        self.create_timer(1.0, self._publish_diagnostics)
        spec = self.bundle.spec
        self.get_logger().info(
            f'{spec.name} ({spec.kind}) from {self.bundle.path}: {self.stage.neurons} neurons '
            f'out, windows of {spec.interval} x {binning.bin_us} µs'
            + (f' played {spec.repeats} times' if spec.repeats > 1 else '')
            + f', backend {p["backend"]} ({self.stage.device})')

    def _on_events(self, events: np.ndarray, stamp: int, frame_id: str) -> None:
        started = time.perf_counter()
        bins = push_resetting_after_gaps(self, self.bins, events, stamp, self._restart)
        windows = 0
        for piece in bins:
            steps, complete = self.stage.add_bin(piece.spikes)
            # each step's spikes into the window's raster as they come, straight into uint8
            # (a float product first costs 10x): at the window's end only its last is left
            np.multiply(steps.T, 255, out=self.raster[:, self.filled:self.filled + len(steps)],
                        casting='unsafe')
            self.filled += len(steps)
            if complete:
                self.spikes_pub.publish(image_bytes(self.raster, 'mono8', piece.end_us,
                                                    frame_id))
                self.stats['windows'] += 1
                self.filled = 0
                windows += 1
        elapsed = time.perf_counter() - started
        self.load.add(elapsed, len(bins) * self.bins.window_us * 1e-6)
        if windows:
            self.latency.add(elapsed)

    def _say_load(self, seconds: float, window_s: float) -> None:
        """At start-up: what a window costs on this backend and machine, against the sensor
        time it covers; a warning when that cannot keep up."""
        text = (f'a window computes in {seconds * 1e3:.1f} ms of its {window_s * 1e3:.0f} ms '
                f'({seconds / window_s:.2f} of real time)')
        if seconds > window_s:
            self.get_logger().warning(f'{text}: this backend cannot keep up with the sensor '
                                      'here, and the output will fall behind')
        else:
            self.get_logger().info(text)

    def _restart(self) -> None:
        self.stage.reset()
        self.filled = 0

    def _publish_diagnostics(self) -> None:
        level, message = self.health.status(self.stats['windows'] > 0)
        load = self.load.take()
        if load is not None and load > 1 and level == DiagnosticStatus.OK:
            level, message = DiagnosticStatus.WARN, (
                f'cannot keep up: computing takes {load:.2f}x the sensor\'s time, the output '
                'falls behind')
            self.get_logger().warning(message, throttle_duration_sec=10.0)
        values = {**self.stats, **self.health.figures(),
                  'real_time_load': 'no window' if load is None else f'{load:.2f}',
                  **self.latency.figures('window'),
                  'dropped_events': self.input.dropped, **self.input.figures(),
                  'late_events': self.bins.late_events, 'restarts': self.bins.restarts,
                  'model': self.bundle.spec.name, 'backend': self.p['backend']}
        ops = self.stage.ops_per_window()
        if ops is not None:
            estimate = self.energy.estimate(ops)
            values.update({'synaptic_ops_per_window': f'{ops.synaptic_op:.0f}',
                           'energy_uj_per_window_estimate': f'{estimate.joules * 1e6:.4g}',
                           'energy_model': str(estimate)})
        self.diag_pub.publish(diagnostics(self, 'SNN', level, message, self.stage.device,
                                          values))

    def close(self) -> None:
        self.stage.close()


def main(args=None) -> None:
    run_node(SnnNode, 'snn_node', args)


if __name__ == '__main__':
    main()
