"""H2: a low-rate ANN that sets the state of a high-rate SNN, for human pose (Aydin et al.).

Once per initialization window (10 Hz) the ANN (the "Jetson" side) looks at a histogram of the
last 100 ms of events and gives the pose and, through one state head per spiking layer, every
neuron's current and voltage. The SNN (the "Loihi" side) then runs from that state on one bin
of spikes per step (100 or 200 Hz), and a non-spiking readout on the host turns its last
layer's spikes into the pose at every step: ``y_t = decay * y_(t-1) + W s_t + b``. The hybrid's
readout starts from the ANN's pose and integrates (decay 1, the seed's accumulated output), so
its SNN learns how the pose moves, not the pose; the SNN alone starts from zero and leaks
(decay 0.8), the better of the two for it (a leaky readout forgets its start).

The seed's SNN is a U-Net that outputs heatmaps; NetX deploys no up-sampling, pooling or
concatenation, so ours is strided CUBA convolutions and a dense layer, and the readout regresses
joint coordinates (a difference from the seed, stated). Poses are (N, joints, 2) pixels of the
sensor, normalised to [0, 1] inside the networks.

The SNN is trained through :func:`~hybrid_perception.networks.snn.dynamics.cuba_lif` with the lags
Loihi has (:class:`~hybrid_perception.networks.snn.torch_runtime.TorchRuntime` runs the same): the
input's previous step is delivered in a window's first step, and every layer but the last
delivers its spikes one step late.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from hybrid_perception.hybrid.pose.spec import PoseSpec
from hybrid_perception.networks.snn.dynamics import cuba_lif
from hybrid_perception.networks.snn.model import SpikingNetwork
from hybrid_perception.networks.spec import (
    ConvLayer,
    DenseLayer,
    NeuronSpec,
)

__all__ = ['PackedInitializer', 'PoseSnn', 'StateInitializer', 'States']

#: (current, voltage) of every spiking layer, each (N, *layer shape).
States = list[tuple[torch.Tensor, torch.Tensor]]


class StateInitializer(torch.nn.Module):
    """The ANN: an encoder on the event histogram, a pose head, and a state head per spiking
    layer (a 1x1 conv giving current and voltage for a conv layer, a linear layer for a dense
    one). Alone, encoder and pose head are the ANN baseline."""

    def __init__(self, spec: PoseSpec) -> None:
        super().__init__()
        self.spec = spec
        self.encoder = torch.nn.ModuleList()
        channels = spec.ann_input_shape[0]
        for layer in spec.encoder:
            self.encoder.append(torch.nn.Conv2d(channels, layer.channels, layer.kernel,
                                                stride=layer.stride, padding=layer.padding))
            channels = layer.channels
        shapes = spec.encoder_shapes()
        self.hidden = torch.nn.Sequential(
            torch.nn.Flatten(), torch.nn.Linear(int(np.prod(shapes[-1])), spec.head_units),
            torch.nn.ReLU())
        self.pose_out = torch.nn.Linear(spec.head_units, spec.joints * 2)
        self.sources = spec.state_sources()
        self.state_heads = torch.nn.ModuleList(
            torch.nn.Conv2d(shapes[k][0], 2 * layer.channels, 1)
            if isinstance(layer, ConvLayer) else torch.nn.Linear(spec.head_units, 2 * layer.units)
            for layer, k in zip(spec.snn.layers, self.sources, strict=True))

    def features(self, histogram: torch.Tensor) -> list[torch.Tensor]:
        """Every encoder layer's output, then the pose head's hidden layer; counts are
        compressed by log1p (a busy pixel sees dozens of events a bin)."""
        x, out = torch.log1p(histogram), []
        for conv in self.encoder:
            x = F.relu(conv(x))
            out.append(x)
        return [*out, self.hidden(x)]

    def pose(self, features: list[torch.Tensor]) -> torch.Tensor:
        """(N, joints, 2) normalised pose at the end of the histogram."""
        return self.pose_out(features[-1]).reshape(-1, self.spec.joints, 2)

    def states(self, features: list[torch.Tensor]) -> States:
        out = []
        for head, k in zip(self.state_heads, self.sources, strict=True):
            current, voltage = head(features[k]).chunk(2, dim=1)
            out.append((current, voltage))
        return out

    def forward(self, histogram: torch.Tensor) -> torch.Tensor:
        """(N, 2 x bins, H, W) counts -> (N, joints, 2) normalised pose: the ANN baseline."""
        return self.pose(self.features(histogram))

    def initialize(self, histogram: torch.Tensor) -> tuple[torch.Tensor, States]:
        """What the hybrid's ANN does once a window: the pose and every layer's state."""
        features = self.features(histogram)
        return self.pose(features), self.states(features)


class PackedInitializer(torch.nn.Module):
    """The initializer as deployed: one row per histogram, laid out as ``snn/state_init``
    carries it (the pose in pixels, then every layer's current and voltage in C order), so
    one output of one ONNX file serves the node whatever the runtime."""

    def __init__(self, model: StateInitializer) -> None:
        super().__init__()
        self.model = model

    def forward(self, histogram: torch.Tensor) -> torch.Tensor:
        pose, states = self.model.initialize(histogram)
        parts = [self.model.spec.to_pixels(pose)] + [t for state in states for t in state]
        return torch.cat([part.flatten(1) for part in parts], dim=1)


class PoseSnn(torch.nn.Module):
    """The spiking network (SLAYER blocks, exported for NetX) and the host's readout; ``alone``
    is the SNN-alone baseline's, whose readout leaks."""

    def __init__(self, spec: PoseSpec, *, alone: bool = False) -> None:
        super().__init__()
        self.spec = spec
        self.decay = spec.readout_decay_of(alone)
        self.network = SpikingNetwork(spec.snn)
        self.readout = torch.nn.Linear(spec.snn.output_shape[0], spec.joints * 2)
        torch.nn.init.normal_(self.readout.weight, std=0.01)
        torch.nn.init.zeros_(self.readout.bias)

    def forward(self, spikes: torch.Tensor, states: States | None = None
                ) -> tuple[torch.Tensor, States]:
        """(N, C, H, W, T) spikes as delivered -> last layer's spikes (N, units, T) and every
        layer's final state. Each layer but the last passes its spikes on one step late."""
        blocks = self.network.spiking_blocks
        neuron: NeuronSpec = self.spec.snn.neuron
        final: States = []
        x = spikes
        for i, block in enumerate(blocks):
            if x.ndim == 5 and isinstance(self.spec.snn.layers[i], DenseLayer):
                x = x.flatten(1, 3)
            current, voltage = states[i] if states is not None else (None, None)
            x, current, voltage = cuba_lif(block.synapse(x), neuron, current, voltage)
            final.append((current, voltage))
            if i < len(blocks) - 1:
                x = F.pad(x[..., :-1], (1, 0))
        return x, final

    def read_out(self, spikes: torch.Tensor, start: torch.Tensor | None) -> torch.Tensor:
        """(N, units, T) spikes -> (N, T, joints, 2) normalised poses, from ``start``."""
        drive = self.readout(spikes.transpose(1, 2))
        pose = torch.zeros_like(drive[:, 0]) if start is None else start.flatten(1)
        poses = []
        for t in range(drive.shape[1]):
            pose = self.decay * pose + drive[:, t]
            poses.append(pose)
        return torch.stack(poses, dim=1).reshape(len(drive), -1, self.spec.joints, 2)
