"""Handwritten digits for H3: scikit-learn's digits laid out as MNIST, and MNIST's IDX files
read by the format's specification (files the test writes byte by byte)."""

from __future__ import annotations

import gzip
import struct

import numpy as np
import pytest

from hybrid_perception.datasets.digits import load_digits, load_image_data, load_mnist, read_idx
from hybrid_perception.errors import DataFormatError


def test_digits_split_is_fixed_stratified_and_mnist_shaped():
    train, test = load_digits('train'), load_digits('test')
    assert len(train) + len(test) == 1797 and len(test) == 450
    assert train.images.shape[1:] == (1, 28, 28) and train.images.dtype == np.float32
    assert 0 <= train.images.min() and train.images.max() <= 1
    counts = np.bincount(test.labels)                  # every digit, a quarter of each
    assert counts.size == 10 and counts.min() >= 43 and counts.max() <= 46
    # the digit sits in MNIST's centred 20x20 box; the 4-pixel border stays empty
    assert train.images[:, :, :4].max() == 0 and train.images[:, :, -4:].max() == 0
    assert np.array_equal(load_digits('test').images, test.images)   # the same every time
    assert not ({a.tobytes() for a in test.images} & {a.tobytes() for a in train.images})


def test_digits_take_a_models_own_input_size():
    small = load_image_data('digits', 'test', 16)
    assert small.images.shape == (450, 1, 16, 16)
    assert np.array_equal(small.labels, load_digits('test').labels)


def _write_idx(path, array, type_code=0x08, opener=open):
    with opener(path, 'wb') as handle:
        handle.write(bytes([0, 0, type_code, array.ndim]))
        handle.write(struct.pack(f'>{array.ndim}I', *array.shape))
        handle.write(array.astype(array.dtype.newbyteorder('>')).tobytes())


@pytest.mark.parametrize('compressed', [False, True])
def test_mnist_idx_files_read_as_written(tmp_path, rng, compressed):
    images = rng.integers(0, 256, (12, 28, 28)).astype(np.uint8)
    labels = rng.integers(0, 10, 12).astype(np.uint8)
    suffix, opener = ('.gz', gzip.open) if compressed else ('', open)
    _write_idx(tmp_path / f't10k-images-idx3-ubyte{suffix}', images, opener=opener)
    _write_idx(tmp_path / f't10k-labels-idx1-ubyte{suffix}', labels, opener=opener)
    data = load_mnist(tmp_path, 'test')
    assert np.array_equal(data.images[:, 0], images / np.float32(255.0))
    assert np.array_equal(data.labels, labels)
    assert load_image_data(f'mnist:{tmp_path}', 'test', 32).images.shape == (12, 1, 32, 32)


def test_idx_other_element_types_and_big_endian(tmp_path):
    values = np.arange(6, dtype='>i4').reshape(2, 3) * 1000
    _write_idx(tmp_path / 'ints', values.astype('<i4'), type_code=0x0C)
    assert np.array_equal(read_idx(tmp_path / 'ints'), values)


@pytest.mark.parametrize('damage, match', [
    (lambda b: b[:-5], 'truncated'), (lambda b: b'\x01' + b[1:], 'not an IDX'),
    (lambda b: b[:6], 'cut short')])
def test_damaged_idx_files_are_clear_errors(tmp_path, damage, match):
    _write_idx(tmp_path / 'x', np.zeros((3, 4, 4), np.uint8))
    (tmp_path / 'x').write_bytes(damage((tmp_path / 'x').read_bytes()))
    with pytest.raises(DataFormatError, match=match):
        read_idx(tmp_path / 'x')


def test_missing_mnist_files_are_a_clear_error(tmp_path):
    with pytest.raises(DataFormatError, match='no MNIST'):
        load_mnist(tmp_path, 'train')


@pytest.mark.parametrize('side, size', [(8, 28), (8, 14), (28, 28), (28, 100)])
def test_digits_are_resized_as_torch_interpolates_them(side, size):
    """The image player resizes without torch: bilinear as torch's (align_corners=False),
    up and down, to float32 rounding."""
    import torch

    from hybrid_perception.datasets.digits import _resize
    images = np.random.default_rng(side * size).random((4, side, side))
    inner = max(1, round(size * 20 / 28))
    expected = torch.nn.functional.interpolate(
        torch.from_numpy(images[:, None].astype(np.float32)), size=(inner, inner),
        mode='bilinear', align_corners=False).clamp(0, 1).numpy()
    start = (size - inner) // 2
    got = _resize(images, size)
    assert np.allclose(got[:, :, start:start + inner, start:start + inner], expected, atol=2e-6)
    assert not got[:, :, :start].any() and not got[:, :, start + inner:].any()
