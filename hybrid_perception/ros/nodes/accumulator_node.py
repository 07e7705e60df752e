"""accumulator_node: ``snn/spikes`` -> spike counts per interval -> ``features``.

The bridge of H1 between the spiking and the dense side: it sums each neuron's spikes over
every ``interval`` time steps (the model's I unless set) and publishes the counts as a
``32FC1`` image, rows = the feature tensor's first axis (channels of a conv layer, 1 for a
dense one), cols = the rest flattened in C order, so ``features.reshape(model feature shape)``
gives the ANN's input. The stamp is that of the raster that completed the interval.
"""

from __future__ import annotations

import time

import numpy as np
from diagnostic_msgs.msg import DiagnosticArray
from rclpy.node import Node
from sensor_msgs.msg import Image

from hybrid_perception.errors import DataFormatError, HybridPerceptionError
from hybrid_perception.hybrid.gesture.bundle import load_bundle
from hybrid_perception.networks.accumulator import SpikeAccumulator
from hybrid_perception.ros.conversions import image_bytes, read_image
from hybrid_perception.ros.diagnostics import InputHealth, Latency, diagnostics
from hybrid_perception.ros.entry import run_node
from hybrid_perception.ros.parameters import declare_parameters
from hybrid_perception.ros.qos import RESULTS_QOS

PARAMETERS = {
    'model': ('gesture/hybrid', 'model folder or shipped name: sets the feature shape and I'),
    'interval': (0, 'time steps summed per feature (0 = the model\'s: I x repeats)'),
}


def feature_rows(shape: tuple[int, ...]) -> tuple[int, int]:
    """The 2-D view of a feature tensor that the ``features`` topic carries."""
    return (shape[0], int(np.prod(shape[1:]))) if len(shape) > 1 else (1, shape[0])


class AccumulatorNode(Node):
    def __init__(self, **kwargs) -> None:
        super().__init__('accumulator_node', **kwargs)
        self.p = p = declare_parameters(self, PARAMETERS)
        if p['interval'] < 0:
            raise HybridPerceptionError('interval must be >= 0 (0 = the model\'s)')
        self.bundle = load_bundle(p['model'])
        self.shape = tuple(self.bundle.spec.feature_shape)
        self.neurons = int(np.prod(self.shape))
        self.accumulator = SpikeAccumulator((self.neurons,), p['interval'] or
                                            self.bundle.spec.window_steps)
        self.latency = Latency()
        self.stats = {'features': 0}
        self.health = InputHealth(self)
        self.features_pub = self.create_publisher(Image, 'features', RESULTS_QOS)
        self.diag_pub = self.create_publisher(DiagnosticArray, '/diagnostics', RESULTS_QOS)
        self.health.subscribe(Image, 'snn/spikes', self._on_spikes, RESULTS_QOS, raw=True)
        self.create_timer(1.0, self._publish_diagnostics)
        self.get_logger().info(f'counting {self.neurons} neurons over '
                               f'{self.accumulator.window} steps -> features '
                               f'{feature_rows(self.shape)} (model feature shape {self.shape})')

    def _on_spikes(self, raw: bytes) -> None:
        started = time.perf_counter()
        try:
            stamp, frame_id, raster = read_image(raw, 'mono8')
            if raster.shape[0] != self.neurons:
                raise ValueError(f'raster has {raster.shape[0]} rows, the model\'s layer has '
                                 f'{self.neurons} neurons')
        except (ValueError, DataFormatError) as err:
            self.health.bad(f'bad snn/spikes message: {err}')
            return
        for counts in self.accumulator.push(raster.T > 0):
            self.features_pub.publish(image_bytes(counts.reshape(feature_rows(self.shape)),
                                                  '32FC1', stamp, frame_id))
            self.stats['features'] += 1
            self.latency.add(time.perf_counter() - started)

    def _publish_diagnostics(self) -> None:
        level, message = self.health.status(self.stats['features'] > 0)
        values = {**self.stats, **self.health.figures(),
                  **self.latency.figures('accumulate'),
                  'interval_steps': self.accumulator.window}
        self.diag_pub.publish(diagnostics(self, 'accumulator', level, message, 'cpu', values))


def main(args=None) -> None:
    run_node(AccumulatorNode, 'accumulator_node', args)


if __name__ == '__main__':
    main()
