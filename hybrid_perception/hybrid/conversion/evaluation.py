"""The converted network as spiking neurons, scored against its ANN over time steps.

Integrate-and-fire neurons (no leak: Loihi's CUBA neuron with a current decay of 1 and a
voltage decay of 0) in float, batched in torch: each step, a layer's input spikes (or, for the
first layer, the coded image) times its weights, plus its bias, add to the voltage; a
voltage at or over the threshold (1 after :func:`.normalization.normalize`) spikes and
resets, by subtracting the threshold (keeps the remainder: the rate tracks the ReLU more
closely) or to zero (Loihi's CUBA neuron). The output layer does not spike: its voltage,
integrated over the steps, is the decision, so no step of evidence is lost to a threshold.
One run gives the accuracy at every time step, so a sweep over T costs its longest run.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from hybrid_perception.hybrid.conversion.model import LinearLayer, chain_forward
from hybrid_perception.networks.energy.operations import synaptic_ops

__all__ = ['RESETS', 'CODINGS', 'SpikingResult', 'ann_accuracy', 'run_spiking']

RESETS = ('subtract', 'zero')
CODINGS = ('analog', 'poisson')


@dataclass
class SpikingResult:
    """Accuracy after each step 1..T, and the spikes and synaptic operations per sample."""

    accuracy: np.ndarray                       # (T,)
    spikes_per_sample: np.ndarray              # (T,) cumulative, all spiking layers
    synaptic_ops_per_sample: np.ndarray        # (T,) cumulative: arriving spikes x the
                                               # neurons each reaches (networks.energy)
    layer_rates: list[float] = field(default_factory=list)  # mean spikes a neuron a step

    def steps_to(self, target: float) -> int | None:
        """The fewest steps whose accuracy reaches ``target`` (None: never)."""
        reached = np.nonzero(self.accuracy >= target)[0]
        return int(reached[0]) + 1 if reached.size else None


def ann_accuracy(chain: list[LinearLayer], images: np.ndarray, labels: np.ndarray,
                 batch: int = 512) -> float:
    correct = 0
    with torch.no_grad():
        for start in range(0, len(images), batch):
            x = torch.from_numpy(np.asarray(images[start:start + batch], np.float32))
            correct += int((chain_forward(chain, x).argmax(1).numpy()
                            == labels[start:start + batch]).sum())
    return correct / len(labels)


def run_spiking(chain: list[LinearLayer], images: np.ndarray, labels: np.ndarray, steps: int,
                reset: str = 'subtract', coding: str = 'analog', threshold: float = 1.0,
                initial_voltage: float = 0.0, batch: int = 256, seed: int = 0,
                progress=None) -> SpikingResult:
    """Run ``steps`` steps on every image; ``initial_voltage`` (in thresholds) starts each
    neuron part way up (0.5: the expected rounding error of rate coding centred, Bu et al.
    2022), ``coding`` feeds the image as a constant current or as Poisson spikes of its
    intensity."""
    if reset not in RESETS or coding not in CODINGS:
        raise ValueError(f'reset must be one of {RESETS}, coding one of {CODINGS}')
    generator = torch.Generator().manual_seed(seed)
    correct = np.zeros(steps)
    spikes = np.zeros(steps)
    ops = np.zeros(steps)
    layer_spikes = np.zeros(len(chain))
    weights = [(torch.from_numpy(layer.weight), torch.from_numpy(layer.bias)) for layer in chain]
    with torch.no_grad():
        for start in range(0, len(images), batch):
            x = torch.from_numpy(np.asarray(images[start:start + batch], np.float32))
            y = torch.from_numpy(labels[start:start + batch])
            voltages: list[torch.Tensor | None] = [None] * len(chain)
            for t in range(steps):
                signal = x if coding == 'analog' else (
                    torch.rand(x.shape, generator=generator) < x).float()
                if coding == 'poisson':
                    ops[t:] += float(synaptic_ops(chain[0].spec, signal))
                for i, layer in enumerate(chain):
                    weight, bias = weights[i]
                    if layer.conv:
                        current = torch.nn.functional.conv2d(signal, weight, bias, layer.stride,
                                                             layer.padding)
                    else:
                        current = torch.nn.functional.linear(signal.flatten(1), weight, bias)
                    if voltages[i] is None:
                        voltages[i] = torch.full_like(current, initial_voltage * threshold
                                                      if layer.relu else 0.0)
                    voltages[i] += current
                    if not layer.relu:
                        break                        # the output layer integrates
                    fired = (voltages[i] >= threshold).float()
                    voltages[i] = (voltages[i] - threshold * fired if reset == 'subtract'
                                   else voltages[i] * (1 - fired))
                    count = float(fired.sum())
                    layer_spikes[i] += count
                    spikes[t:] += count
                    ops[t:] += float(synaptic_ops(chain[i + 1].spec, fired))
                    signal = fired
                correct[t] += int((voltages[-1].argmax(1) == y).sum())
                if progress is not None:
                    progress.update(len(y) / steps)
    n = len(labels)
    neurons = [int(np.prod(layer.output_shape)) for layer in chain]
    return SpikingResult(correct / n, spikes / n, ops / n,
                         [float(s / (n * steps * m)) for s, m, layer in
                          zip(layer_spikes, neurons, chain, strict=True) if layer.relu])
