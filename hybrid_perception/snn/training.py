"""Supervised training of a :class:`SpikingNetwork` with SLAYER's spike-rate loss.

Deterministic for a seed on one device: the seed fixes the initial weights and the batch order.
Each epoch writes ``last.pt``, and ``best.pt`` when validation accuracy improves; both hold
the spec, so a checkpoint alone rebuilds the network.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from lava.lib.dl import slayer
from tqdm import tqdm

from .model import SpikingNetwork
from .spec import NetworkSpec

__all__ = ['EpochStats', 'TrainConfig', 'TrainResult', 'load_checkpoint', 'resolve_device',
           'train']


@dataclass(frozen=True)
class TrainConfig:
    epochs: int = 10
    batch_size: int = 16
    lr: float = 3e-3
    seed: int = 0
    device: str = 'auto'
    true_rate: float = 0.2    # target output spike rate of the right class
    false_rate: float = 0.03  # ... and of the others


@dataclass(frozen=True)
class EpochStats:
    epoch: int
    loss: float
    train_accuracy: float
    val_accuracy: float


@dataclass
class TrainResult:
    network: SpikingNetwork
    history: list[EpochStats] = field(default_factory=list)
    best_checkpoint: Path | None = None

    @property
    def best_val_accuracy(self) -> float:
        return max((s.val_accuracy for s in self.history), default=0.0)


def resolve_device(device: str) -> torch.device:
    """'auto' is CUDA when torch sees a GPU (a Jetson, a workstation), else the CPU."""
    if device == 'auto':
        return torch.device('cuda' if torch.cuda.is_available() else 'cpu')
    return torch.device(device)


def train(spec: NetworkSpec, train_data: tuple[np.ndarray, np.ndarray],
          val_data: tuple[np.ndarray, np.ndarray], config: TrainConfig,
          checkpoint_dir: str | Path, *, progress: bool = True) -> TrainResult:
    """Train on (clips (N, T, C, H, W), labels (N,)) and keep the best validation epoch."""
    torch.manual_seed(config.seed)
    device = resolve_device(config.device)
    network = SpikingNetwork(spec).to(device)
    optimiser = torch.optim.Adam(network.parameters(), lr=config.lr)
    loss_fn = slayer.loss.SpikeRate(true_rate=config.true_rate, false_rate=config.false_rate,
                                    reduction='sum').to(device)
    order = torch.Generator().manual_seed(config.seed)
    checkpoint_dir = Path(checkpoint_dir)
    checkpoint_dir.mkdir(parents=True, exist_ok=True)
    result = TrainResult(network)
    for epoch in range(1, config.epochs + 1):
        network.train()
        batches = _batches(train_data, config.batch_size, order)
        total_loss, correct = 0.0, 0
        bar = tqdm(batches, desc=f'epoch {epoch}/{config.epochs}', unit='batch',
                   disable=not progress, leave=False)
        for clips, labels in bar:
            clips, labels = _to_slayer(clips, device), labels.to(device)
            output = network(clips)
            loss = loss_fn(output, labels)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            total_loss += loss.item()
            correct += int((slayer.classifier.Rate.predict(output) == labels).sum())
            bar.set_postfix(loss=f'{loss.item():.3f}')
        stats = EpochStats(epoch, total_loss / len(train_data[1]),
                           correct / len(train_data[1]),
                           evaluate(network, val_data, config.batch_size))
        result.history.append(stats)
        _save(checkpoint_dir / 'last.pt', network, stats, config)
        if stats.val_accuracy >= result.best_val_accuracy:
            result.best_checkpoint = _save(checkpoint_dir / 'best.pt', network, stats, config)
        if progress:
            tqdm.write(f'epoch {epoch}: loss {stats.loss:.4f}, train accuracy '
                       f'{stats.train_accuracy:.3f}, validation accuracy {stats.val_accuracy:.3f}')
    return result


def evaluate(network: SpikingNetwork, data: tuple[np.ndarray, np.ndarray],
             batch_size: int = 32) -> float:
    """Accuracy of the rate-coded prediction (the class whose output fires most)."""
    if len(data[1]) == 0:
        return 0.0
    network.eval()
    device = next(network.parameters()).device
    correct = 0
    with torch.no_grad():
        for clips, labels in _batches(data, batch_size, None):
            predicted = slayer.classifier.Rate.predict(network(_to_slayer(clips, device)))
            correct += int((predicted.cpu() == labels).sum())
    return correct / len(data[1])


def load_checkpoint(path: str | Path) -> SpikingNetwork:
    saved = torch.load(path, map_location='cpu')
    network = SpikingNetwork(NetworkSpec.from_dict(saved['spec']))
    network.load_state_dict(saved['state_dict'])
    return network


def _save(path: Path, network: SpikingNetwork, stats: EpochStats, config: TrainConfig) -> Path:
    torch.save({'spec': network.spec.to_dict(), 'state_dict': network.state_dict(),
                'stats': asdict(stats), 'config': asdict(config)}, path)
    return path


def _batches(data: tuple[np.ndarray, np.ndarray], size: int,
             order: torch.Generator | None) -> list[tuple[torch.Tensor, torch.Tensor]]:
    clips, labels = torch.from_numpy(data[0]), torch.from_numpy(data[1])
    index = torch.randperm(len(labels), generator=order) if order else torch.arange(len(labels))
    return [(clips[i], labels[i]) for i in index.split(size)]


def _to_slayer(clips: torch.Tensor, device: torch.device) -> torch.Tensor:
    """(N, T, C, H, W) -> SLAYER's (N, C, H, W, T)."""
    return clips.permute(0, 2, 3, 4, 1).contiguous().to(device)
