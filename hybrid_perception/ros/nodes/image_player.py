"""image_player: images for the H3 graph where no camera is, at a steady rate.

``source: digits`` plays scikit-learn's test digits (real handwriting, shipped in its wheel)
at the size ``size``; ``source: bag`` plays the images of a bag written by ``hybrid-perception
dataset digits`` (or any bag with mono8 images and ImageLabel ground truth on the same
stamps). Publishes ``image`` (mono8) and, where the message package is built,
``ground_truth`` (hybrid_perception_msgs/ImageLabel, the image's stamp), and loops. On a robot
a camera driver (or ``ros2 bag play``) takes its place.
"""

from __future__ import annotations

import time

import numpy as np
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus
from rclpy.node import Node
from sensor_msgs.msg import Image

from hybrid_perception.datasets.image_bag import LabelledImage, read_image_bag
from hybrid_perception.errors import HybridPerceptionError
from hybrid_perception.ros.conversions import compiled_types, header, matrix_to_image
from hybrid_perception.ros.diagnostics import diagnostics
from hybrid_perception.ros.entry import run_node
from hybrid_perception.ros.parameters import declare_parameters
from hybrid_perception.ros.qos import RESULTS_QOS

PARAMETERS = {
    'source': ('digits', 'digits (scikit-learn\'s test digits) | bag (a `dataset digits` bag)'),
    'path': ('', 'the bag, for source bag'),
    'size': (28, 'digits: image side in pixels'),
    'rate_hz': (10.0, 'images per second'),
    'loop': (True, 'start again after the last image'),
    'frame_id': ('camera', 'frame of the images'),
}


def _digits(size: int) -> list[LabelledImage]:
    from hybrid_perception.datasets.digits import load_digits
    test = load_digits('test', size)
    return [LabelledImage(0, np.round(image[0] * 255).astype(np.uint8), int(label), str(label),
                          f'test-{i}') for i, (image, label) in
            enumerate(zip(test.images, test.labels, strict=True))]


class ImagePlayer(Node):
    def __init__(self, **kwargs) -> None:
        super().__init__('image_player', **kwargs)
        self.p = p = declare_parameters(self, PARAMETERS)
        if p['rate_hz'] <= 0:
            raise HybridPerceptionError('rate_hz must be positive')
        if p['source'] == 'digits':
            self.images = _digits(p['size'])
        elif p['source'] == 'bag':
            self.images = read_image_bag(p['path'])
        else:
            raise HybridPerceptionError(f"source must be digits or bag, got {p['source']!r}")
        if not self.images:
            raise HybridPerceptionError(f'{p["path"]}: no labelled images')
        types = compiled_types('ImageLabel')
        self.label_type = types[0] if types else None
        if self.label_type is None:
            self.get_logger().warning('hybrid_perception_msgs is not built (or is older than '
                                      'ImageLabel): no ground truth on ground_truth')
        self.image_pub = self.create_publisher(Image, 'image', RESULTS_QOS)
        self.truth_pub = (self.create_publisher(self.label_type, 'ground_truth', RESULTS_QOS)
                          if self.label_type else None)
        self.diag_pub = self.create_publisher(DiagnosticArray, '/diagnostics', RESULTS_QOS)
        self.published = 0
        self.create_timer(1.0 / p['rate_hz'], self._publish)
        self.create_timer(1.0, self._publish_diagnostics)
        self.get_logger().info(f'{len(self.images)} images from {p["source"]} '
                               f'{p["path"]} at {p["rate_hz"]} Hz on '
                               f'{self.resolve_topic_name("image")}')

    def _publish(self) -> None:
        if self.published >= len(self.images) and not self.p['loop']:
            return
        item = self.images[self.published % len(self.images)]
        t_us = time.time_ns() // 1000
        frame_id = self.p['frame_id']
        self.image_pub.publish(matrix_to_image(item.image, 'mono8', t_us, frame_id))
        if self.truth_pub is not None:
            self.truth_pub.publish(self.label_type(header=header(t_us, frame_id),
                                                   label=item.label, name=item.name,
                                                   sample=item.sample))
        self.published += 1

    def _publish_diagnostics(self) -> None:
        self.diag_pub.publish(diagnostics(
            self, 'images', DiagnosticStatus.OK, 'playing', self.p['source'],
            {'published': self.published, 'images': len(self.images)}))


def main(args=None) -> None:
    run_node(ImagePlayer, 'image_player', args)


if __name__ == '__main__':
    main()
