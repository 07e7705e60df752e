"""ann_node: ``features`` -> the ANN tail of an H1 model -> class probabilities (the "Jetson"
side).

Publishes ``classification`` (``32FC1``, 1 x classes: the probabilities of one interval),
``classification/label`` (the most likely class over the last ``smoothing`` intervals and its
probability; ``none`` when that is the model's class of no gesture, or, as ``none (class p)``,
when p is below ``min_confidence``) and ``markers`` (that label as text, for rviz2), each
with the stamp of the features it came from. The ANN runs on onnxruntime (TensorRT, then CUDA,
then CPU, whichever is present) or torch; an all-SNN model has no ANN and reads its output
spike counts.
"""

from __future__ import annotations

import time
from collections import deque

import numpy as np
from diagnostic_msgs.msg import DiagnosticArray
from rclpy.node import Node
from sensor_msgs.msg import Image
from std_msgs.msg import String
from visualization_msgs.msg import MarkerArray

from hybrid_perception.errors import HybridPerceptionError
from hybrid_perception.hybrid.gesture.bundle import load_bundle
from hybrid_perception.hybrid.gesture.decision import DecisionStage
from hybrid_perception.networks.ann.runtime import ANN_BACKENDS
from hybrid_perception.networks.energy.counts import OpCounts
from hybrid_perception.networks.energy.models import EnergyModel
from hybrid_perception.ros.conversions import (
    image_bytes,
    label_marker_bytes,
    read_image,
    string_bytes,
)
from hybrid_perception.ros.diagnostics import InputHealth, Latency, diagnostics
from hybrid_perception.ros.entry import run_node
from hybrid_perception.ros.parameters import declare_parameters
from hybrid_perception.ros.qos import RESULTS_QOS

PARAMETERS = {
    'model': ('gesture/hybrid', 'model folder or shipped name (gesture/hybrid, gesture/ann, '
                                'gesture/snn, gesture/converted)'),
    'backend': ('onnxruntime', f'ANN backend: {", ".join(ANN_BACKENDS)}'),
    'class_names': ([''], 'class names for the label (default: the model\'s)'),
    'smoothing': (1, 'intervals whose mean probabilities make the label'),
    'min_confidence': (-1.0, 'a label\'s probability below this makes it "none" (negative: '
                             'the model\'s threshold, calibrated on its validation subjects; '
                             '0: off)'),
    'energy_platform': ('jetson_orin_nano', 'hardware model of the /diagnostics energy '
                                            'estimate'),
}


class AnnNode(Node):
    def __init__(self, **kwargs) -> None:
        super().__init__('ann_node', **kwargs)
        self.p = p = declare_parameters(self, PARAMETERS)
        if p['smoothing'] < 1:
            raise HybridPerceptionError('smoothing must be at least 1 interval')
        self.bundle = load_bundle(p['model'])
        spec = self.bundle.spec
        names = [n for n in p['class_names'] if n]
        self.classes = tuple(names) or spec.classes
        if len(self.classes) != len(spec.classes):
            raise HybridPerceptionError(f'class_names has {len(self.classes)} names, the model '
                                        f'{len(spec.classes)} classes')
        self.stage = DecisionStage(self.bundle, p['backend'], p['min_confidence'])
        self.stage.warm_up()
        self.energy = EnergyModel(p['energy_platform']).estimate(OpCounts(mac=spec.ann_macs)) \
            if spec.kind != 'snn' else None
        self.recent: deque[np.ndarray] = deque(maxlen=p['smoothing'])
        self.latency = Latency()
        self.stats = {'decisions': 0, 'declined': 0}
        self.health = InputHealth(self)
        self.probs_pub = self.create_publisher(Image, 'classification', RESULTS_QOS)
        self.label_pub = self.create_publisher(String, 'classification/label', RESULTS_QOS)
        self.markers_pub = self.create_publisher(MarkerArray, 'markers', RESULTS_QOS)
        self.diag_pub = self.create_publisher(DiagnosticArray, '/diagnostics', RESULTS_QOS)
        self.health.subscribe(Image, 'features', self._on_features, RESULTS_QOS, raw=True)
        self.create_timer(1.0, self._publish_diagnostics)
        self.get_logger().info(f'{spec.name} ({spec.kind}) from {self.bundle.path}: '
                               f'{len(self.classes)} classes on {self.stage.device}, '
                               f'temperature {self.bundle.temperature:.3g}, labels below '
                               f'{self.stage.min_confidence:.3g} are "none"')

    def _on_features(self, raw: bytes) -> None:
        started = time.perf_counter()
        try:
            t_us, frame_id, features = read_image(raw, '32FC1')
            probabilities = self.stage(features)
        except (ValueError, HybridPerceptionError) as err:
            self.health.bad(f'bad features message: {err}')
            return
        self.probs_pub.publish(image_bytes(probabilities[None], '32FC1', t_us, frame_id))
        self.recent.append(probabilities)
        mean = np.mean(self.recent, axis=0) if len(self.recent) > 1 else probabilities
        best = int(mean.argmax())
        label = self.stage.label(mean, self.classes)
        declined = label != self.classes[best]
        self.stats['declined'] += declined
        text = f'{label} ({self.classes[best]} {mean[best]:.2f})' if declined else \
            f'{label} ({mean[best]:.2f})'
        self.label_pub.publish(string_bytes(text))
        self.markers_pub.publish(label_marker_bytes(text, t_us, frame_id))
        self.stats['decisions'] += 1
        self.latency.add(time.perf_counter() - started)

    def _publish_diagnostics(self) -> None:
        level, message = self.health.status(self.stats['decisions'] > 0)
        values = {**self.stats, **self.health.figures(),
                  **self.latency.figures('decision'),
                  'model': self.bundle.spec.name, 'backend': self.p['backend']}
        if self.energy is not None:
            values['energy_uj_per_decision_estimate'] = f'{self.energy.joules * 1e6:.4g}'
            values['energy_model'] = str(self.energy)
        self.diag_pub.publish(diagnostics(self, 'ANN', level, message, self.stage.device,
                                          values))


def main(args=None) -> None:
    run_node(AnnNode, 'ann_node', args)


if __name__ == '__main__':
    main()
