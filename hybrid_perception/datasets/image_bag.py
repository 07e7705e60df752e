"""Evaluation bags of images: ``sensor_msgs/Image`` (mono8) on ``/image`` and, with the same
stamp, ``hybrid_perception_msgs/msg/ImageLabel`` ground truth on ``/ground_truth``; and
reading them back. Any ROS 2 tool plays them (``ros2 bag play``) into
``image_classifier_node``; ``evaluate --pipeline conversion`` replays them through it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hybrid_perception.errors import DataFormatError
from hybrid_perception.events.pointcloud import stamp_from_us, us_from_stamp
from hybrid_perception.io.rosbag import open_bag_writer, typestore

__all__ = ['IMAGE', 'IMAGE_LABEL', 'LabelledImage', 'read_image_bag', 'write_image_bag']

IMAGE = 'sensor_msgs/msg/Image'
IMAGE_LABEL = 'hybrid_perception_msgs/msg/ImageLabel'


@dataclass(frozen=True)
class LabelledImage:
    stamp_us: int
    image: np.ndarray     # (H, W) uint8
    label: int
    name: str
    sample: str


def write_image_bag(path: str | Path, images: np.ndarray, labels: np.ndarray,
                    names: tuple[str, ...], *, period_us: int = 100_000, split: str = 'test',
                    frame_id: str = 'camera', storage: str = 'mcap') -> int:
    """``images`` (N, 1, H, W) or (N, H, W) in [0, 1], one every ``period_us``; their count."""
    images = np.asarray(images).reshape(len(images), *np.shape(images)[-2:])
    store = typestore()
    writer = open_bag_writer(path, storage)
    try:
        types = store.types
        image_conn = writer.add_connection('/image', IMAGE, typestore=store)
        label_conn = writer.add_connection('/ground_truth', IMAGE_LABEL, typestore=store)
        for i, (image, label) in enumerate(zip(images, labels, strict=True)):
            stamp = (i + 1) * period_us
            sec, nanosec = stamp_from_us(stamp)
            head = types['std_msgs/msg/Header'](
                stamp=types['builtin_interfaces/msg/Time'](sec=sec, nanosec=nanosec),
                frame_id=frame_id)
            pixels = np.round(np.clip(image, 0, 1) * 255).astype(np.uint8)
            message = types[IMAGE](header=head, height=pixels.shape[0], width=pixels.shape[1],
                                   encoding='mono8', is_bigendian=0, step=pixels.shape[1],
                                   data=pixels.ravel())
            truth = types[IMAGE_LABEL](header=head, label=int(label), name=names[int(label)],
                                       sample=f'{split}-{i}')
            writer.write(image_conn, stamp * 1000, store.serialize_cdr(message, IMAGE))
            writer.write(label_conn, stamp * 1000, store.serialize_cdr(truth, IMAGE_LABEL))
    finally:
        writer.close()
    return len(images)


def read_image_bag(path: str | Path, image_topic: str = '/image',
                   labels_topic: str = '/ground_truth') -> list[LabelledImage]:
    """Every mono8 image of ``image_topic`` that has an ImageLabel of the same stamp."""
    from rosbags.rosbag2 import Reader
    store = typestore()
    images: dict[int, np.ndarray] = {}
    truth: dict[int, tuple[int, str, str]] = {}
    try:
        with Reader(Path(path)) as reader:
            kinds = {c.topic: c.msgtype for c in reader.connections}
            for topic, kind in ((image_topic, IMAGE), (labels_topic, IMAGE_LABEL)):
                if kinds.get(topic) != kind:
                    raise DataFormatError(f'{path}: {topic} holds {kinds.get(topic)}, not {kind}')
            wanted = [c for c in reader.connections if c.topic in (image_topic, labels_topic)]
            for connection, _, raw in reader.messages(connections=wanted):
                m = store.deserialize_cdr(raw, connection.msgtype)
                stamp = us_from_stamp(m.header.stamp.sec, m.header.stamp.nanosec)
                if connection.topic == labels_topic:
                    truth[stamp] = (int(m.label), str(m.name), str(m.sample))
                elif m.encoding == 'mono8':
                    rows = np.asarray(m.data, np.uint8).reshape(m.height, m.step)
                    images[stamp] = rows[:, :m.width].copy()
    except DataFormatError:
        raise
    except Exception as err:  # rosbags' own errors on a missing or corrupt bag
        raise DataFormatError(f'{path}: cannot read images and ground truth: {err}') from err
    return [LabelledImage(stamp, images[stamp], *truth[stamp])
            for stamp in sorted(images) if stamp in truth]
