"""image_classifier_node: ``image`` -> an H3 converted classifier -> a class per image.

Each ``sensor_msgs/Image`` (mono8, mono16, bgr8, rgb8 or 32FC1, any size: it is resized to the
model's input) is coded into spikes and run through the converted SNN for ``steps`` time
steps (torch, or Lava: simulated here, Loihi when lava-loihi finds one), or through the ANN it
was converted from (``network: ann``, onnxruntime: the baseline, and what an edge accelerator
runs). Publishes, with the image's stamp, ``classification`` (``32FC1``, 1 x classes: each
class's share of the output spikes; the ANN's softmax), ``classification/label`` (the class
and its share; ``none`` when no output neuron spiked) and ``markers`` (that label as text, for
rviz2); ``/diagnostics`` carries the steps, synaptic operations and estimated energy per image.
"""

from __future__ import annotations

import time

import numpy as np
from diagnostic_msgs.msg import DiagnosticArray
from rclpy.node import Node
from sensor_msgs.msg import Image
from std_msgs.msg import String
from visualization_msgs.msg import MarkerArray

from hybrid_perception.errors import HybridPerceptionError
from hybrid_perception.hybrid.common import DEFAULT_SNN_BACKEND, SNN_BACKENDS
from hybrid_perception.hybrid.conversion.bundle import load_converted
from hybrid_perception.hybrid.conversion.stream import CODINGS, NETWORKS, ImageClassifier
from hybrid_perception.networks.energy import EnergyModel
from hybrid_perception.ros.conversions import (
    CAMERA_ENCODINGS,
    camera_image,
    image_bytes,
    label_marker_bytes,
    stamp_us,
    string_bytes,
)
from hybrid_perception.ros.diagnostics import InputHealth, Latency, diagnostics
from hybrid_perception.ros.entry import run_node
from hybrid_perception.ros.parameters import declare_parameters
from hybrid_perception.ros.qos import RESULTS_QOS, stream_qos

PARAMETERS = {
    'model': ('digits', 'converted model folder (hybrid-perception convert --out), or a '
                        'shipped one by name (digits)'),
    'network': ('snn', f'{" | ".join(NETWORKS)}: the converted SNN, or the ANN it was '
                       'converted from (onnxruntime; the baseline)'),
    'backend': (DEFAULT_SNN_BACKEND, f'SNN backend: {", ".join(SNN_BACKENDS)} (compiled: the '
                                     'exported network on the CPU; torch: SLAYER, CUDA when '
                                     'present; lava: Loihi when lava-loihi finds one, else its '
                                     'simulation)'),
    'steps': (0, 'time steps per image (0: the model\'s, chosen by convert)'),
    'coding': ('rate', f'image to spikes: {" | ".join(CODINGS)}'),
    'early_margin': (0, 'stop an image once its leading class is this many output spikes '
                        'ahead of the next (0: off; checked every check_every steps)'),
    'check_every': (8, 'steps between early-decision checks'),
    'reliability': ('best_effort', 'image QoS: best_effort (matches any camera) or reliable '
                                   '(lossless replay)'),
    'energy_platform': ('', 'hardware model of the /diagnostics energy estimate ("" = loihi '
                            'for the SNN, ncs2 for the ANN)'),
}


class ImageClassifierNode(Node):
    def __init__(self, **kwargs) -> None:
        super().__init__('image_classifier_node', **kwargs)
        self.p = p = declare_parameters(self, PARAMETERS)
        if p['reliability'] not in ('best_effort', 'reliable'):
            raise HybridPerceptionError('reliability must be best_effort or reliable')
        self.bundle = load_converted(p['model'])
        self.classifier = ImageClassifier(
            self.bundle, p['network'], p['backend'], steps=p['steps'], coding=p['coding'],
            margin=p['early_margin'], check_every=p['check_every'], count_ops=True)
        self.energy = EnergyModel(p['energy_platform'] or
                                  ('loihi' if p['network'] == 'snn' else 'ncs2'))
        self.classifier(np.zeros((self.bundle.input_size,) * 2, np.float32))  # warm up
        self.classifier.images = self.classifier.steps_run = 0
        self.latency = Latency()
        self.stats = {'images': 0, 'undecided': 0}
        self.health = InputHealth(self)
        self.probs_pub = self.create_publisher(Image, 'classification', RESULTS_QOS)
        self.label_pub = self.create_publisher(String, 'classification/label', RESULTS_QOS)
        self.markers_pub = self.create_publisher(MarkerArray, 'markers', RESULTS_QOS)
        self.diag_pub = self.create_publisher(DiagnosticArray, '/diagnostics', RESULTS_QOS)
        self.health.subscribe(Image, 'image', self._on_image,
                              stream_qos(p['reliability'], live=False, depth=100))
        self.create_timer(1.0, self._publish_diagnostics)
        steps = (f'{self.classifier.steps} steps, {p["coding"]} coding'
                 if p['network'] == 'snn' else 'onnxruntime')
        self.get_logger().info(
            f'{p["network"]} of {self.bundle.path}: {len(self.bundle.classes)} classes from '
            f'{self.bundle.input_size}x{self.bundle.input_size} images ({steps}) on '
            f'{self.classifier.device}; images on {self.resolve_topic_name("image")} '
            f'({", ".join(CAMERA_ENCODINGS)})')

    def _on_image(self, msg: Image) -> None:
        started = time.perf_counter()
        try:
            decision = self.classifier(camera_image(msg))
        except (ValueError, HybridPerceptionError) as err:
            self.health.bad(f'bad image message: {err}')
            return
        t_us, frame_id = stamp_us(msg.header), msg.header.frame_id
        probabilities = decision.probabilities
        self.probs_pub.publish(image_bytes(probabilities[None], '32FC1', t_us, frame_id))
        share = float(probabilities.max()) if probabilities.size else 0.0
        text = f'{decision.label} ({share:.2f})'
        self.label_pub.publish(string_bytes(text))
        self.markers_pub.publish(label_marker_bytes(text, t_us, frame_id))
        self.stats['images'] += 1
        self.stats['undecided'] += decision.label == 'none'
        self.latency.add(time.perf_counter() - started)

    def _publish_diagnostics(self) -> None:
        level, message = self.health.status(self.stats['images'] > 0)
        values = {**self.stats, **self.health.figures(),
                  **self.latency.figures('image'), 'model': str(self.bundle.path),
                  'network': self.p['network']}
        if self.p['network'] == 'snn':
            values.update(backend=self.p['backend'],
                          steps_per_image=f'{self.classifier.mean_steps():.2f}')
        ops = self.classifier.ops_per_image() if self.stats['images'] else None
        if ops is not None:
            estimate = self.energy.estimate(ops)
            key = 'synaptic_ops' if self.p['network'] == 'snn' else 'macs'
            values.update({f'{key}_per_image': f'{ops.synaptic_op or ops.mac:.0f}',
                           'energy_uj_per_image_estimate': f'{estimate.joules * 1e6:.4g}',
                           'energy_model': str(estimate)})
        self.diag_pub.publish(diagnostics(self, 'converted classifier', level, message,
                                          self.classifier.device, values))

    def close(self) -> None:
        self.classifier.close()


def main(args=None) -> None:
    run_node(ImageClassifierNode, 'image_classifier_node', args)


if __name__ == '__main__':
    main()
