"""H1: the hybrid "SxAy" classifier of Seekings et al. and, at its two ends, its baselines.

One stack of layers is cut after layer x: the first x run as a CUBA LIF SNN (NetX-deployable,
the "Loihi" side), the accumulator turns their output spikes into spike counts over every
interval of I time steps, and the remaining y layers run as an ANN on each interval's counts
(the "Jetson" side), giving one decision per interval. x = 0 is the all-ANN baseline (the
accumulator counts the input events: event frames of I bins) and x = all layers the all-SNN
baseline (the decision is the output neurons' spike counts). So all three see the same data
and decide at the same rate, and differ only in where the cut is.

A clip's class is the mean over its scored intervals of the per-interval probabilities.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import torch

from hybrid_perception.hybrid.gesture.spec import READOUT_GAIN, HybridSpec
from hybrid_perception.networks.accumulator import accumulate
from hybrid_perception.networks.ann.model import build_ann
from hybrid_perception.networks.energy.operations import synaptic_ops
from hybrid_perception.networks.snn.model import SpikingNetwork
from hybrid_perception.networks.snn.training import to_slayer
from hybrid_perception.networks.spec import SpecError

__all__ = ['HybridClassifier', 'IntervalObjective', 'played_windows', 'stream_accuracy',
           'stream_logits', 'streamed']


class HybridClassifier(torch.nn.Module):
    """SNN head -> accumulator -> ANN tail; either end may be empty (the baselines)."""

    def __init__(self, spec: HybridSpec) -> None:
        super().__init__()
        self.spec = spec
        snn_spec = spec.snn_spec
        self.snn = SpikingNetwork(snn_spec) if snn_spec else None
        tail = spec.layers[spec.spiking:]
        self.ann = build_ann(spec.feature_shape, tail, bias=spec.bias) if tail else None

    def features(self, spikes: torch.Tensor) -> torch.Tensor:
        """(N, T, C, H, W) input spikes -> (N, T // I, *feature_shape) spike counts."""
        if self.snn is not None:
            out = self.snn(to_slayer(played_windows(spikes, self.spec))).movedim(-1, 1)
            spikes = out.reshape(len(spikes), -1, *out.shape[2:])  # windows back in their clip
        return accumulate(spikes.transpose(0, 1), self.spec.window_steps).transpose(0, 1)

    def decide(self, features: torch.Tensor) -> torch.Tensor:
        """(M, *feature_shape) counts of M intervals -> (M, classes) logits."""
        if self.ann is None:
            return features * (READOUT_GAIN / self.spec.window_steps)
        return self.ann(features)

    def forward(self, spikes: torch.Tensor) -> torch.Tensor:
        """(N, T, C, H, W) input spikes -> (N, T // I, classes) logits, one per interval."""
        features = self.features(spikes)
        n, k = features.shape[:2]
        return self.decide(features.reshape(n * k, *features.shape[2:])).reshape(n, k, -1)

    def synaptic_ops(self) -> torch.Tensor:
        """Mean synaptic operations per decision that the last training forward's hidden spikes
        caused in the spiking head, differentiable: what the head costs on Loihi beyond its
        fixed neuron updates. Layer 0's come from the sensor and no weight changes them."""
        if self.snn is None or self.spec.spiking < 2:
            return torch.zeros(())
        spikes = self.snn.layer_spikes
        n, steps = spikes[0].shape[0], spikes[0].shape[-1]
        total = sum(synaptic_ops(layer, s.movedim(-1, 1).flatten(0, 1))
                    for layer, s in zip(self.spec.layers[1:self.spec.spiking], spikes[:-1],
                                     strict=True))
        return total / (n * steps / self.spec.window_steps)

    def layer_parameters(self) -> list[tuple[torch.Tensor, torch.Tensor | None]]:
        """(weight, bias) of every layer of the stack in order, on whichever side it runs;
        spiking layers have no bias."""
        spiking = [(block.synapse.weight, None) for block in self.snn.spiking_blocks] \
            if self.snn else []
        dense = [(m.weight, m.bias) for m in self.ann
                 if isinstance(m, torch.nn.Conv2d | torch.nn.Linear)] if self.ann else []
        return spiking + dense

    def copy_layers_from(self, donor: HybridClassifier) -> None:
        """Start from the weights of the same stack cut elsewhere, e.g. the trained all-ANN
        baseline: a spiking layer takes the ANN layer's weights (its bias has nowhere to go),
        and training then adapts them to spikes. Without it the spiking head learns slowly
        through the surrogate gradient and the hybrid ends far below the ANN."""
        if donor.spec.stack != self.spec.stack:
            raise SpecError(f'cannot start {self.spec.name} from {donor.spec.name}: '
                            'the layer stacks differ')
        with torch.no_grad():
            for (weight, bias), (source, source_bias) in zip(
                    self.layer_parameters(), donor.layer_parameters(), strict=True):
                weight.copy_(source.reshape(weight.shape))
                if bias is not None:
                    bias.copy_(source_bias if source_bias is not None else torch.zeros_like(bias))


def played_windows(spikes: torch.Tensor, spec: HybridSpec) -> torch.Tensor:
    """(N, T, ...) input -> what the SNN is played, as :class:`~.stream.SpikingStage` plays a
    live window: each interval's I bins ``repeats`` times in a row, (N, T x repeats, ...); with
    ``from_rest`` each interval is its own sample followed by silent steps, (N x T / I,
    window_steps, ...)."""
    if spec.repeats == 1 and not spec.from_rest:
        return spikes
    n, steps = spikes.shape[:2]
    intervals = spikes.reshape(n * (steps // spec.interval), 1, spec.interval, *spikes.shape[2:])
    played = intervals.expand(-1, spec.repeats, *intervals.shape[2:]).flatten(1, 2)
    if spec.from_rest:
        silence = played.new_zeros(len(played), spec.window_steps - played.shape[1],
                                   *played.shape[2:])
        return torch.cat([played, silence], dim=1)
    return played.reshape(n, -1, *spikes.shape[2:])


@dataclass(frozen=True)
class IntervalObjective:
    """Cross-entropy on every scored interval; a clip's class from the mean probabilities.

    Live, a network never starts from rest: the previous gesture's activity is still in its
    state. ``context_steps`` puts the end of another clip of the batch before each clip so that
    training sees the same, and the clip's own first ``warmup_steps`` are not scored.
    """

    interval: int
    warmup_steps: int = 0
    context_steps: int = 0  # steps of another clip played before each clip
    max_shift_px: int = 0   # training clips move by up to this many pixels (per clip)
    synops_weight: float = 0.0  # loss per 1e5 synaptic operations per decision (see penalty)

    @property
    def first_scored(self) -> int:
        """The first interval that starts after the context and the warm-up."""
        return -(-(self.context_steps + self.warmup_steps) // self.interval)

    def inputs(self, clips: torch.Tensor) -> torch.Tensor:
        spikes = (clips > 0).float()
        if not self.context_steps:
            return spikes
        before = spikes.roll(1, dims=0)[:, -self.context_steps:]
        return torch.cat([before, spikes], dim=1)

    def augment(self, clips: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """Shift each clip as a whole: subjects stand anywhere, the class does not change."""
        if not self.max_shift_px:
            return clips
        shifts = torch.randint(-self.max_shift_px, self.max_shift_px + 1, (len(clips), 2),
                               generator=generator)
        return torch.stack([clip.roll(tuple(shift.tolist()), dims=(-2, -1))
                            for clip, shift in zip(clips, shifts, strict=True)])

    def loss(self, output: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        scored = output[:, self.first_scored:]
        repeated = labels[:, None].expand(-1, scored.shape[1])
        return torch.nn.functional.cross_entropy(scored.reshape(-1, scored.shape[-1]),
                                                 repeated.reshape(-1))

    def penalty(self, model: HybridClassifier) -> torch.Tensor:
        """The spiking head's synaptic operations, priced: on Loihi they are what a hybrid pays
        beyond its neurons' fixed updates, so fewer of them is how its energy gets below the
        ANN layers it replaces."""
        return model.synaptic_ops() * (self.synops_weight / 1e5)

    def predict(self, output: torch.Tensor) -> torch.Tensor:
        return output[:, self.first_scored:].softmax(-1).mean(1).argmax(-1)


def stream_logits(model: HybridClassifier, spikes: torch.Tensor) -> torch.Tensor:
    """(N, T, C, H, W) clips played back to back as one stream, the network never reset ->
    (N, T // I, classes) logits, each clip's own."""
    n, steps = spikes.shape[:2]
    if steps % model.spec.interval:
        raise ValueError(f'clips of {steps} steps are not whole intervals of '
                         f'{model.spec.interval}')
    stream = spikes.reshape(1, n * steps, *spikes.shape[2:])
    return model(stream).reshape(n, steps // model.spec.interval, -1)


def streamed(model: HybridClassifier, objective: IntervalObjective,
             data: tuple[np.ndarray, np.ndarray], chunk: int = 64
             ) -> tuple[np.ndarray, np.ndarray]:
    """The clips as streams, as the live graph sees them, without ROS: ``chunk`` clips in a
    fixed shuffled order (the dataset repeats a gesture take after take) are one stream.
    Returns each clip's scored intervals' logits (N, intervals, classes) and the labels, in
    that order."""
    order = np.random.default_rng(0).permutation(len(data[1]))
    clips = data[0][order]
    per_clip = replace(objective, context_steps=0)
    model.eval()
    logits = []
    with torch.no_grad():
        for start in range(0, len(order), chunk):
            spikes = per_clip.inputs(torch.from_numpy(clips[start:start + chunk]))
            logits.append(stream_logits(model, spikes)[:, per_clip.first_scored:].numpy())
    classes = len(model.spec.classes)
    return (np.concatenate(logits) if logits else np.zeros((0, 0, classes), np.float32),
            data[1][order])


def stream_accuracy(model: HybridClassifier, objective: IntervalObjective,
                    data: tuple[np.ndarray, np.ndarray], chunk: int = 64) -> float:
    """Accuracy with the clips as streams (:func:`streamed`), a clip's class from the mean
    probabilities of its scored intervals."""
    logits, labels = streamed(model, objective, data, chunk)
    predicted = torch.from_numpy(logits).softmax(-1).mean(1).argmax(-1).numpy()
    return float(np.mean(predicted == labels))
