"""Threshold balancing: scale each layer so its neurons' threshold sits where its ReLU's
activations do (data-based normalisation, Diehl et al. 2015; Rueckauer et al. 2017).

With a layer's activations scaled by ``lambda_l`` (its activation statistic on calibration
data), weights become ``W_l * lambda_{l-1} / lambda_l`` and biases ``b_l / lambda_l``: every
layer's activations then mostly lie in [0, 1], the range a neuron with threshold 1 can fire
at (at most one spike a step). ``max`` keeps every activation reachable but lets one outlier
slow the whole layer down; ``percentile`` (99.9 %, Rueckauer's robust normalisation) clips
the rare largest ones for a higher firing rate, hence fewer time steps for the same accuracy.
``qcfs`` takes the thresholds a :class:`~.model.QCFS` network learnt in training (the output
layer, which has none, by percentile).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import torch

from hybrid_perception.hybrid.conversion.model import LinearLayer

__all__ = ['METHODS', 'activation_scales', 'normalize']

METHODS = ('max', 'percentile', 'qcfs')


def activation_scales(chain: list[LinearLayer], images: np.ndarray, method: str = 'percentile',
                      percentile: float = 99.9, batch: int = 256) -> list[float]:
    """Each layer's activation statistic (after its ReLU; the output layer's raw values)."""
    if method not in METHODS:
        raise ValueError(f'method must be one of {METHODS}, got {method!r}')
    if method == 'qcfs' and not any(layer.levels for layer in chain):
        raise ValueError("method 'qcfs' needs a network trained with QCFS activations "
                         '(train digits --activation qcfs)')
    per_layer: list[list[np.ndarray]] = [[] for _ in chain]
    with torch.no_grad():
        for start in range(0, len(images), batch):
            x = torch.from_numpy(np.asarray(images[start:start + batch], np.float32))
            for i, layer in enumerate(chain):
                x = layer.activate(layer.forward(x))
                values = x.flatten().numpy()
                per_layer[i].append(values[values > 0])
    scales = []
    for layer, values in zip(chain, per_layer, strict=True):
        values = np.concatenate(values) if values else np.zeros(0)
        if method == 'qcfs' and layer.levels:
            scales.append(layer.clip)
        elif values.size == 0:
            scales.append(1.0)
        elif method == 'max':
            scales.append(float(values.max()))
        else:
            scales.append(float(np.percentile(values, percentile)))
    return scales


def normalize(chain: list[LinearLayer], scales: list[float]) -> list[LinearLayer]:
    """The chain with each layer's output divided by its scale (the function it computes is
    unchanged up to the final layer's scale, which does not move an argmax)."""
    out, previous = [], 1.0
    for layer, scale in zip(chain, scales, strict=True):
        out.append(replace(layer, weight=(layer.weight * previous / scale).astype(np.float32),
                           bias=(layer.bias / scale).astype(np.float32),
                           clip=layer.clip / scale))
        previous = scale
    return out
