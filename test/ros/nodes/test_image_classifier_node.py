"""image_classifier_node over real DDS, fed by image_player: every image comes back classified
with its stamp, as the library classifies it; camera encodings are read; bad images are
counted in /diagnostics and the node keeps answering."""

from __future__ import annotations

import numpy as np
import pytest
from support import imported_by_starting, spin_until

from hybrid_perception.datasets.digits import load_digits


class Listener:
    def __init__(self, context, executor):
        import rclpy
        from diagnostic_msgs.msg import DiagnosticArray
        from sensor_msgs.msg import Image
        from std_msgs.msg import String

        from hybrid_perception.ros.qos import RESULTS_QOS
        self.node = rclpy.create_node('listener', context=context)
        self.image = self.node.create_publisher(Image, 'image', RESULTS_QOS)
        self.answers, self.labels, self.played, self.status = {}, [], {}, []
        self.node.create_subscription(Image, 'classification', self._on_answer, RESULTS_QOS)
        self.node.create_subscription(String, 'classification/label',
                                      lambda m: self.labels.append(m.data), RESULTS_QOS)
        self.node.create_subscription(DiagnosticArray, '/diagnostics', self._on_status,
                                      RESULTS_QOS)
        executor.add_node(self.node)

    def _on_answer(self, msg) -> None:
        from hybrid_perception.ros.conversions import image_to_matrix, stamp_us
        self.answers[stamp_us(msg.header)] = image_to_matrix(msg, '32FC1')[0]

    def _on_status(self, msg) -> None:
        for status in msg.status:
            if status.name.startswith('image_classifier_node'):
                self.status.append({kv.key: kv.value for kv in status.values} |
                                   {'level': status.level, 'message': status.message})


def start(context, executor, node_type, **parameters):
    from rclpy.parameter import Parameter
    node = node_type(context=context, parameter_overrides=[
        Parameter(k, value=v) for k, v in parameters.items()])
    executor.add_node(node)
    return node


def test_images_in_every_camera_encoding_are_classified_as_the_library_does(ros):
    from hybrid_perception.hybrid.conversion.bundle import load_converted
    from hybrid_perception.hybrid.conversion.stream import ImageClassifier
    from hybrid_perception.ros.conversions import matrix_to_image
    from hybrid_perception.ros.nodes.image_classifier_node import ImageClassifierNode
    context, executor = ros
    node = start(context, executor, ImageClassifierNode, reliability='reliable')
    listener = Listener(context, executor)
    assert spin_until(executor, lambda: listener.image.get_subscription_count() > 0)
    test = load_digits('test', 28)
    reference = ImageClassifier(load_converted('digits'))
    grey = np.round(test.images[:6, 0] * 255).astype(np.uint8)
    sent = {1_000_000 + i: image for i, image in enumerate(grey)}
    encoded = {1_000_000: ('mono8', grey[0]), 1_000_001: ('bgr8', np.dstack([grey[1]] * 3)),
               1_000_002: ('32FC1', grey[2] / np.float32(255)), 1_000_003: ('mono8', grey[3]),
               1_000_004: ('mono8', grey[4]), 1_000_005: ('mono8', grey[5])}
    for stamp, (encoding, pixels) in encoded.items():
        listener.image.publish(matrix_to_image(pixels, encoding, stamp, 'camera'))
    assert spin_until(executor, lambda: len(listener.answers) == len(listener.labels) ==
                      len(sent), 60.0)
    for stamp, image in sent.items():
        expected = reference(image)
        assert np.allclose(listener.answers[stamp], expected.probabilities, atol=1e-3), stamp
    assert spin_until(executor, lambda: any(s.get('images') == str(len(sent))
                                            for s in listener.status), 5.0)
    status = listener.status[-1]
    assert float(status['synaptic_ops_per_image']) > 0
    assert 'ESTIMATE' in status['energy_model'] and 'loihi' in status['energy_model']
    assert float(status['steps_per_image']) == node.classifier.steps


def test_bad_images_are_counted_and_the_node_keeps_answering(ros):
    from sensor_msgs.msg import Image

    from hybrid_perception.ros.conversions import matrix_to_image
    from hybrid_perception.ros.nodes.image_classifier_node import ImageClassifierNode
    context, executor = ros
    start(context, executor, ImageClassifierNode, reliability='reliable', network='ann')
    listener = Listener(context, executor)
    assert spin_until(executor, lambda: listener.image.get_subscription_count() > 0)
    listener.image.publish(Image(height=4, width=4, encoding='yuv422', step=8,
                                 data=bytes(32)))
    truncated = matrix_to_image(np.zeros((28, 28), np.uint8), 'mono8', 5, 'camera')
    truncated.data = bytes(100)
    listener.image.publish(truncated)
    listener.image.publish(matrix_to_image(np.zeros((28, 28), np.uint8), 'mono8', 7, 'camera'))
    assert spin_until(executor, lambda: 7 in listener.answers, 20.0)
    assert spin_until(executor, lambda: any(s.get('bad_messages') == '2'
                                            for s in listener.status), 5.0)
    warned = [s for s in listener.status if s.get('bad_messages') == '2'][-1]
    assert warned['level'] == b'\x01' and 'bad image message' in warned['message']
    assert set(listener.answers) == {7} and 'macs_per_image' in warned


def test_image_player_feeds_the_classifier_and_labels_are_mostly_right(ros):
    from hybrid_perception.ros.nodes.image_classifier_node import ImageClassifierNode
    from hybrid_perception.ros.nodes.image_player import ImagePlayer
    context, executor = ros
    listener = Listener(context, executor)
    start(context, executor, ImageClassifierNode, network='ann')
    player = start(context, executor, ImagePlayer, rate_hz=50.0, loop=False)
    assert spin_until(executor, lambda: len(listener.labels) >= 40, 30.0)
    truth = [item.name for item in player.images[:len(listener.labels)]]
    right = sum(label.split()[0] == name for label, name in zip(listener.labels, truth,
                                                                strict=False))
    assert right >= 0.9 * len(listener.labels)


@pytest.mark.parametrize('nodes, imported', [
    ("{'image_player': {}, 'image_classifier_node': {}}", (False, False)),
    ("{'image_classifier_node': {'network': 'ann'}}", (False, False))])
def test_the_classifier_imports_torch_only_for_its_torch_backend(nodes, imported):
    """H3's graph on its defaults (the compiled SNN; the player's digits resized by numpy) and
    on the ANN (onnxruntime) loads the model folder, warms up and stands ready without torch
    or SLAYER, the larger part of a start-up (that the check sees them when they are imported:
    H1's torch backends, test_gesture_graph)."""
    assert imported_by_starting(nodes) == imported
