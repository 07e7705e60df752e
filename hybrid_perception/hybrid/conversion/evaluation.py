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
from hybrid_perception.networks.energy.models import EnergyModel
from hybrid_perception.networks.energy.operations import OpCounts, synaptic_ops

__all__ = ['LOIHI_STEP_S', 'RESETS', 'CODINGS', 'SEED_RATIOS', 'SpikingResult', 'ann_accuracy',
           'interval_samples', 'live_metrics', 'loihi_against_ncs2', 'run_spiking', 'steps_to']

#: Loihi's wall time per time step of a converted MNIST network (coefficients.yaml, measured
#: by Intel): the time base of Loihi's latency and power estimates
LOIHI_STEP_S = float(EnergyModel('loihi').entry['time_per_step_s'])

#: the seed's headline (Chandarana et al. 2022): Loihi against an Intel NCS2 on image
#: classification, "up to" these factors less power and less energy
SEED_RATIOS = {'power': 27.0, 'energy': 5.0}

RESETS = ('subtract', 'zero')
CODINGS = ('analog', 'poisson', 'events')


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
        return steps_to(self.accuracy, target)


def steps_to(accuracy: np.ndarray, target: float) -> int | None:
    """The fewest steps whose accuracy (after each step 1..T) reaches ``target`` (None:
    never): for the float network's run and the Loihi build's alike."""
    reached = np.nonzero(np.asarray(accuracy) >= target)[0]
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
                events: np.ndarray | None = None, progress=None) -> SpikingResult:
    """Run ``steps`` steps on every image; ``initial_voltage`` (in thresholds) starts each
    neuron part way up (0.5: the expected rounding error of rate coding centred, Bu et al.
    2022), ``coding`` feeds the image as a constant current, as Poisson spikes of its
    intensity, or (``events``) as the sample's own spikes (N, I, C, H, W), its I steps played
    over and over (an event window whose rates are the image)."""
    if reset not in RESETS or coding not in CODINGS:
        raise ValueError(f'reset must be one of {RESETS}, coding one of {CODINGS}')
    if (coding == 'events') != (events is not None):
        raise ValueError("coding 'events' takes the samples' spikes (events=), and only it")
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
            played = None if events is None else torch.from_numpy(
                np.asarray(events[start:start + batch], np.float32))
            voltages: list[torch.Tensor | None] = [None] * len(chain)
            for t in range(steps):
                if coding == 'analog':
                    signal = x
                elif coding == 'poisson':
                    signal = (torch.rand(x.shape, generator=generator) < x).float()
                else:
                    signal = played[:, t % played.shape[1]]
                if coding != 'analog':
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


def loihi_against_ncs2(snn_ops: OpCounts, steps: float, ann_ops: OpCounts,
                       ncs2_mode: str | None = None) -> dict:
    """One inference of the converted SNN on Loihi against its ANN on an NCS2, both MODEL
    ESTIMATES: Loihi's energy from the counted operations (Davies 2018) plus its idle power
    over ``steps`` x the measured time per step; the NCS2's board power over its modelled time
    (never below the per-inference floor Blouw et al. 2019 measured on an NCS). The ratios are
    NCS2 / Loihi, so > 1 favours Loihi, next to the seed's."""
    loihi = EnergyModel('loihi').estimate(snn_ops, seconds=steps * LOIHI_STEP_S, idle=True)
    ncs2 = EnergyModel('ncs2', ncs2_mode).estimate(ann_ops)
    return {
        'loihi': {'energy_uj': loihi.joules * 1e6, 'seconds': loihi.seconds,
                  'watts': loihi.watts, 'model': str(loihi)},
        'ncs2': {'energy_uj': ncs2.joules * 1e6, 'seconds': ncs2.seconds, 'watts': ncs2.watts,
                 'model': str(ncs2)},
        'power_ratio': ncs2.watts / loihi.watts,
        'energy_ratio': ncs2.joules / loihi.joules,
        'seed_ratios': SEED_RATIOS,
    }


def live_metrics(answers: dict[int, np.ndarray], latency_s: list[float],
                 truth: dict[int, int], steps: float, ops: OpCounts | None,
                 platform: str) -> dict:
    """One live run over labelled images (by stamp): accuracy (an image without an answer, or
    whose SNN gave no output spike, counts wrong), latency (ms), steps and operations per
    image and the estimated energy on ``platform``, its coefficients and source with it."""
    correct = sum(1 for stamp, label in truth.items() if stamp in answers
                  and answers[stamp].sum() > 0 and int(np.argmax(answers[stamp])) == label)
    p50, p99 = np.percentile(np.asarray(latency_s) * 1e3, [50, 99]) if latency_s else (0, 0)
    out = {'images': len(truth), 'answered': sum(s in answers for s in truth),
           'accuracy': correct / len(truth) if truth else 0.0,
           'latency_ms': {'p50': float(p50), 'p99': float(p99)}, 'steps': float(steps)}
    if ops is not None:
        estimate = EnergyModel(platform).estimate(ops)
        out.update(synaptic_ops=float(ops.synaptic_op), macs=float(ops.mac),
                   energy_uj=estimate.joules * 1e6, energy_model=str(estimate))
    return out


def interval_samples(clips: np.ndarray, labels: np.ndarray, interval: int, first_scored: int
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Binned event clips (N, T, C, H, W) as H1 decides on them, one sample per scored
    interval of ``interval`` steps: its spikes (M, I, C, H, W) as 0/1, its rates (M, C, H, W)
    (the accumulator's counts over I: the all-ANN model's input divided by I) and its clip's
    label."""
    n, steps = clips.shape[:2]
    windows = (clips[:, :steps // interval * interval] > 0).astype(np.float32).reshape(
        n, steps // interval, interval, *clips.shape[2:])[:, first_scored:]
    spikes = windows.reshape(-1, *windows.shape[2:])
    return spikes, spikes.mean(axis=1), np.repeat(labels, windows.shape[1])
