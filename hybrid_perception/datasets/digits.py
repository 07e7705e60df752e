"""Handwritten digits for H3: scikit-learn's 1,797 real 8x8 digits (they ship inside its
wheel: nothing is downloaded) laid out as MNIST lays out its 28x28 digits, and MNIST itself
from its IDX files when a user has them on disk.

MNIST centres each digit's 20x20 box in a 28x28 frame; the 8x8 digits are up-sampled
(bilinear) to the same 20/28 of whatever input size a model takes and centred alike, so a
LeNet-5 made for MNIST reads them as it reads MNIST, and a model trained at another size
converts on digits of its own size.
"""

from __future__ import annotations

import gzip
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hybrid_perception.errors import DataFormatError

__all__ = ['DigitImages', 'load_digits', 'read_idx', 'load_mnist', 'load_image_data']

#: the test share of scikit-learn's digits, split once, stratified, with a fixed seed
TEST_FRACTION = 0.25
_SPLIT_SEED = 0


@dataclass(frozen=True)
class DigitImages:
    """Images (N, 1, size, size) float32 in [0, 1] and their labels (N,) int64."""

    images: np.ndarray
    labels: np.ndarray

    def __len__(self) -> int:
        return int(self.labels.size)


def _resize(images: np.ndarray, size: int) -> np.ndarray:
    """(N, h, w) in [0, 1] -> (N, 1, size, size): bilinear to 20/28 of ``size``, centred."""
    inner = max(1, round(size * 20 / 28))
    rows = _bilinear_weights(images.shape[1], inner)
    columns = _bilinear_weights(images.shape[2], inner)
    scaled = rows @ images.astype(np.float32) @ columns.T
    out = np.zeros((images.shape[0], 1, size, size), np.float32)
    start = (size - inner) // 2
    out[:, 0, start:start + inner, start:start + inner] = scaled.clip(0, 1)
    return out


def _bilinear_weights(n_in: int, n_out: int) -> np.ndarray:
    """(n_out, n_in) linear interpolation as torch's ``interpolate(mode='bilinear',
    align_corners=False)`` samples (pixel centres, edges clamped), one axis at a time: numpy
    rather than torch, so the image player starts without torch."""
    source = np.maximum((np.arange(n_out) + 0.5) * (n_in / n_out) - 0.5, 0.0)
    low = np.minimum(np.floor(source).astype(np.int64), n_in - 1)
    high = np.minimum(low + 1, n_in - 1)
    frac = (source - low).astype(np.float32)
    weights = np.zeros((n_out, n_in), np.float32)
    np.add.at(weights, (np.arange(n_out), low), 1 - frac)
    np.add.at(weights, (np.arange(n_out), high), frac)
    return weights


def load_digits(split: str, size: int = 28) -> DigitImages:
    """scikit-learn's digits, ``train`` (75 %) or ``test`` (25 %, stratified, fixed)."""
    from sklearn.datasets import load_digits as sklearn_digits
    from sklearn.model_selection import train_test_split
    if split not in ('train', 'test'):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    data = sklearn_digits()
    train, test = train_test_split(np.arange(len(data.target)), test_size=TEST_FRACTION,
                                   random_state=_SPLIT_SEED, stratify=data.target)
    index = train if split == 'train' else test
    return DigitImages(_resize(data.images[index] / 16.0, size),
                       data.target[index].astype(np.int64))


def read_idx(path: str | Path) -> np.ndarray:
    """An IDX file (MNIST's format; ``.gz`` too) as the array it holds.

    Header: two zero bytes, the element type (0x08 unsigned byte ... 0x0E double), the number
    of dimensions, then each dimension as a big-endian uint32; the data follow, big-endian.
    """
    path = Path(path)
    opener = gzip.open if path.suffix == '.gz' else open
    try:
        with opener(path, 'rb') as handle:
            data = handle.read()
    except OSError as err:
        raise DataFormatError(f'{path}: cannot read: {err}') from err
    types = {0x08: '>u1', 0x09: '>i1', 0x0B: '>i2', 0x0C: '>i4', 0x0D: '>f4', 0x0E: '>f8'}
    if len(data) < 4 or data[:2] != b'\0\0' or data[2] not in types:
        raise DataFormatError(f'{path}: not an IDX file (magic {data[:4].hex()})')
    n_dims = data[3]
    if len(data) < 4 + 4 * n_dims:
        raise DataFormatError(f'{path}: IDX header cut short')
    shape = struct.unpack(f'>{n_dims}I', data[4:4 + 4 * n_dims])
    dtype = np.dtype(types[data[2]])
    expected = int(np.prod(shape)) * dtype.itemsize
    body = data[4 + 4 * n_dims:]
    if len(body) != expected:
        raise DataFormatError(f'{path}: IDX data holds {len(body)} bytes, its header says '
                               f'{expected} (truncated?)')
    return np.frombuffer(body, dtype).reshape(shape).astype(dtype.newbyteorder('='))


def load_mnist(folder: str | Path, split: str, size: int = 28) -> DigitImages:
    """MNIST from its four IDX files in ``folder`` (``train-images-idx3-ubyte`` ... or their
    ``.gz``), resized to ``size`` only when a model takes another size."""
    folder = Path(folder)
    prefix = {'train': 'train', 'test': 't10k'}[split]

    def find(kind: str) -> Path:
        for name in (f'{prefix}-{kind}-idx{3 if kind == "images" else 1}-ubyte',
                     f'{prefix}-{kind}.idx{3 if kind == "images" else 1}-ubyte'):
            for candidate in (folder / name, folder / f'{name}.gz'):
                if candidate.is_file():
                    return candidate
        raise DataFormatError(f'{folder}: no MNIST {prefix} {kind} IDX file')
    images, labels = read_idx(find('images')), read_idx(find('labels'))
    if images.ndim != 3 or labels.ndim != 1 or images.shape[0] != labels.shape[0]:
        raise DataFormatError(f'{folder}: {images.shape} images with {labels.shape} labels')
    images = images.astype(np.float32) / 255.0
    if images.shape[1:] == (size, size):
        return DigitImages(images[:, None], labels.astype(np.int64))
    import torch
    resized = torch.nn.functional.interpolate(torch.from_numpy(images[:, None]),
                                              size=(size, size), mode='bilinear',
                                              align_corners=False).numpy()
    return DigitImages(resized, labels.astype(np.int64))


def load_image_data(name: str, split: str, size: int = 28) -> DigitImages:
    """``digits`` or ``mnist:FOLDER``: what ``--data`` names."""
    if name == 'digits':
        return load_digits(split, size)
    if name.startswith('mnist:'):
        return load_mnist(name.split(':', 1)[1], split, size)
    raise ValueError(f"data must be 'digits' or 'mnist:FOLDER', got {name!r}")
