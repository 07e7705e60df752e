"""Training a :class:`SpikingNetwork` on its own: SLAYER's spike-rate loss, rate-coded output.

The loop is the package's one (:func:`hybrid_perception.networks.training.fit`); this module
holds what is particular to a pure SNN classifier: its input layout and its objective.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from hybrid_perception.networks.lava import slayer
from hybrid_perception.networks.snn.model import SpikingNetwork
from hybrid_perception.networks.spec import NetworkSpec
from hybrid_perception.networks.training import EpochStats, TrainConfig, TrainResult, fit
from hybrid_perception.networks.training import evaluate as evaluate_objective
from hybrid_perception.networks.weights import load_weights

__all__ = ['EpochStats', 'SpikeRateObjective', 'TrainConfig', 'TrainResult', 'evaluate',
           'load_checkpoint', 'to_slayer', 'train']


def to_slayer(clips: torch.Tensor) -> torch.Tensor:
    """(N, T, C, H, W) -> SLAYER's (N, C, H, W, T)."""
    return clips.movedim(1, -1).contiguous()


@dataclass(frozen=True)
class SpikeRateObjective:
    """The class whose output neuron fires most; trained towards target firing rates."""

    true_rate: float = 0.2    # target output spike rate of the right class
    false_rate: float = 0.03  # ... and of the others

    def inputs(self, clips: torch.Tensor) -> torch.Tensor:
        return to_slayer(clips)

    def augment(self, clips: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        return clips

    def loss(self, output: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        rate = slayer.loss.SpikeRate(true_rate=self.true_rate, false_rate=self.false_rate,
                                     reduction='sum')
        return rate(output, labels) / len(labels)

    def penalty(self, model: torch.nn.Module) -> float:
        return 0.0

    def predict(self, output: torch.Tensor) -> torch.Tensor:
        return slayer.classifier.Rate.predict(output)


def train(spec: NetworkSpec, train_data: tuple[np.ndarray, np.ndarray],
          val_data: tuple[np.ndarray, np.ndarray], config: TrainConfig,
          checkpoint_dir: str | Path, *, progress: bool = True,
          objective: SpikeRateObjective = SpikeRateObjective()) -> TrainResult:
    """Train on (clips (N, T, C, H, W), labels (N,)) and keep the best validation epoch."""
    torch.manual_seed(config.seed)
    return fit(SpikingNetwork(spec), objective, train_data, val_data, config, checkpoint_dir,
               progress=progress)


def evaluate(network: SpikingNetwork, data: tuple[np.ndarray, np.ndarray],
             batch_size: int = 32) -> float:
    """Accuracy of the rate-coded prediction."""
    return evaluate_objective(network, SpikeRateObjective(), data, batch_size)


def load_checkpoint(path: str | Path) -> SpikingNetwork:
    saved = load_weights(path)
    network = SpikingNetwork(NetworkSpec.from_dict(saved['spec']))
    network.load_state_dict(saved['state_dict'])
    return network
