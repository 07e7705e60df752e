"""The supervised training loop every model here shares: SNNs, hybrids and their baselines.

What differs between models is an :class:`Objective` (how clips become the model's input, the
loss, the prediction); the loop, seeding, device choice, progress bars and checkpoints are one.
Deterministic for a seed on one device: the seed fixes the initial weights and the batch order.
Each epoch writes ``last.pt``, and ``best.pt`` when validation accuracy improves; both hold the
model's spec, so a checkpoint alone rebuilds the model.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np
import torch
from tqdm import tqdm

__all__ = ['EpochStats', 'Objective', 'TrainConfig', 'TrainResult', 'evaluate', 'fit',
           'resolve_device']

Dataset = tuple[np.ndarray, np.ndarray]  # clips (N, T, C, H, W), labels (N,)


@dataclass(frozen=True)
class TrainConfig:
    epochs: int = 10
    batch_size: int = 16
    lr: float = 3e-3
    seed: int = 0
    device: str = 'auto'


@dataclass(frozen=True)
class EpochStats:
    epoch: int
    loss: float
    train_accuracy: float
    val_accuracy: float


@dataclass
class TrainResult:
    model: torch.nn.Module
    history: list[EpochStats] = field(default_factory=list)
    best_checkpoint: Path | None = None

    @property
    def best_val_accuracy(self) -> float:
        return max((s.val_accuracy for s in self.history), default=0.0)


class Objective(Protocol):
    """What a model is trained for, and how its output is read."""

    def inputs(self, clips: torch.Tensor) -> torch.Tensor:
        """Clips as stored (N, T, C, H, W) -> what the model's forward takes."""

    def augment(self, clips: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """Training clips, randomly varied (or as they are)."""

    def loss(self, output: torch.Tensor, labels: torch.Tensor) -> torch.Tensor: ...

    def penalty(self, model: torch.nn.Module) -> torch.Tensor | float:
        """What the model's last training forward costs beyond its output, e.g. its activity."""

    def predict(self, output: torch.Tensor) -> torch.Tensor:
        """(N,) predicted class per clip."""


def resolve_device(device: str) -> torch.device:
    """'auto' is CUDA when torch sees a GPU (a Jetson, a workstation), else the CPU."""
    if device == 'auto':
        return torch.device('cuda' if torch.cuda.is_available() else 'cpu')
    return torch.device(device)


def fit(model: torch.nn.Module, objective: Objective, train_data: Dataset, val_data: Dataset,
        config: TrainConfig, checkpoint_dir: str | Path, *,
        progress: bool = True) -> TrainResult:
    """Train ``model`` (already seeded and built by the caller) and keep the best epoch.

    Checkpoints hold ``model.spec.to_dict()``, which is what rebuilds the model.
    """
    device = resolve_device(config.device)
    model.to(device)
    optimiser = torch.optim.Adam(model.parameters(), lr=config.lr)
    order = torch.Generator().manual_seed(config.seed)
    checkpoint_dir = Path(checkpoint_dir)
    checkpoint_dir.mkdir(parents=True, exist_ok=True)
    result = TrainResult(model)
    for epoch in range(1, config.epochs + 1):
        model.train()
        total_loss, correct = 0.0, 0
        bar = tqdm(_batches(train_data, config.batch_size, order),
                   total=-(-len(train_data[1]) // config.batch_size),
                   desc=f'epoch {epoch}/{config.epochs}', unit='batch', disable=not progress,
                   leave=False)
        for clips, labels in bar:
            labels = labels.to(device)
            clips = objective.augment(clips, order)
            output = model(objective.inputs(clips.to(device)))
            loss = objective.loss(output, labels) + objective.penalty(model)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            total_loss += loss.item() * len(labels)
            correct += int((objective.predict(output) == labels).sum())
            bar.set_postfix(loss=f'{loss.item():.3f}')
        n = len(train_data[1])
        stats = EpochStats(epoch, total_loss / n, correct / n,
                           evaluate(model, objective, val_data, config.batch_size))
        result.history.append(stats)
        saved = {'spec': model.spec.to_dict(), 'state_dict': model.state_dict(),
                 'stats': asdict(stats), 'config': asdict(config)}
        torch.save(saved, checkpoint_dir / 'last.pt')
        if stats.val_accuracy >= result.best_val_accuracy:
            result.best_checkpoint = checkpoint_dir / 'best.pt'
            torch.save(saved, result.best_checkpoint)
        if progress:
            tqdm.write(f'epoch {epoch}: loss {stats.loss:.4f}, train accuracy '
                       f'{stats.train_accuracy:.3f}, validation accuracy {stats.val_accuracy:.3f}')
    return result


def evaluate(model: torch.nn.Module, objective: Objective, data: Dataset,
             batch_size: int = 32) -> float:
    """Accuracy of ``objective.predict`` over ``data``."""
    if len(data[1]) == 0:
        return 0.0
    model.eval()
    device = next(model.parameters()).device
    correct = 0
    with torch.no_grad():
        for clips, labels in _batches(data, batch_size, None):
            predicted = objective.predict(model(objective.inputs(clips.to(device))))
            correct += int((predicted.cpu() == labels).sum())
    return correct / len(data[1])


def _batches(data: Dataset, size: int,
             order: torch.Generator | None) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """Batches made one at a time: a float copy of a whole dataset would not fit beside it."""
    clips, labels = torch.from_numpy(data[0]), torch.from_numpy(data[1])
    index = torch.randperm(len(labels), generator=order) if order else torch.arange(len(labels))
    for i in index.split(size):
        yield clips[i].float(), labels[i]
