"""Evaluation bags of images: what is written is read back image for image with its ground
truth, by rosbags from the bag's own embedded definitions; a damaged bag is one clear error."""

from __future__ import annotations

import numpy as np
import pytest

from hybrid_perception.datasets.image_bag import read_image_bag, write_image_bag
from hybrid_perception.errors import DataFormatError


def test_images_and_labels_come_back_as_written(tmp_path, rng):
    images = rng.random((7, 1, 12, 10)).astype(np.float32)
    labels = rng.integers(0, 3, 7)
    names = ('zero', 'one', 'two')
    assert write_image_bag(tmp_path / 'bag', images, labels, names, period_us=50_000) == 7
    read = read_image_bag(tmp_path / 'bag')
    assert [item.stamp_us for item in read] == [50_000 * (i + 1) for i in range(7)]
    for item, image, label in zip(read, images, labels, strict=True):
        assert np.array_equal(item.image, np.round(image[0] * 255).astype(np.uint8))
        assert (item.label, item.name) == (label, names[label])
    assert read[3].sample == 'test-3'


def test_a_bag_without_images_or_a_damaged_one_is_one_clear_error(tmp_path):
    write_image_bag(tmp_path / 'bag', np.zeros((2, 4, 4)), [0, 1], ('a', 'b'))
    with pytest.raises(DataFormatError, match='/pictures holds None'):
        read_image_bag(tmp_path / 'bag', image_topic='/pictures')
    mcap = next((tmp_path / 'bag').glob('*.mcap'))
    mcap.write_bytes(mcap.read_bytes()[:200])
    with pytest.raises(DataFormatError, match='cannot read images'):
        read_image_bag(tmp_path / 'bag')
