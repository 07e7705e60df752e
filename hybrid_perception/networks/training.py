"""The supervised training loop every model here shares: SNNs, hybrids and their baselines.

:func:`train_epochs` is the loop itself (Adam, optionally cosine-annealed; progress bars; one
line per epoch), used by H1's classifiers through :func:`fit` and by H2's three stages. What
differs between classifiers is an :class:`Objective` (how clips become the model's input, the
loss, the prediction); the loop, seeding, device choice, progress bars and checkpoints are one.
Deterministic for a seed on one device: the seed fixes the initial weights and the batch order.
Each epoch writes ``last.pt``, and ``best.pt`` when validation accuracy improves; both hold the
model's spec, so a checkpoint alone rebuilds the model.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np
import torch
from tqdm import tqdm

__all__ = ['EpochStats', 'Objective', 'TrainConfig', 'TrainResult', 'evaluate', 'fit',
           'plot_history', 'resolve_device', 'train_epochs']

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


def train_epochs(modules: Sequence[torch.nn.Module], batches: Callable[[], Iterable],
                 step: Callable[[object], tuple[torch.Tensor, int]],
                 end_epoch: Callable[[int, float], str], *, epochs: int, lr: float,
                 n_batches: int, anneal: bool = False, name: str = '',
                 progress: bool = True) -> None:
    """Adam over ``modules``' trainable parameters for ``epochs``: each epoch puts them in
    training mode, runs ``step`` (a batch -> its mean loss, its size) on every batch of
    ``batches()``, then hands the mean loss per sample to ``end_epoch(epoch, loss)``, which
    validates, keeps what it keeps and returns the rest of the epoch's line.

    With ``anneal`` the rate falls to zero by a cosine over every batch (H2: at a constant rate
    its validation error jumped by 2 px between epochs, so the best epoch was luck).
    """
    parameters = [p for m in modules for p in m.parameters() if p.requires_grad]
    optimiser = torch.optim.Adam(parameters, lr=lr)
    schedule = (torch.optim.lr_scheduler.CosineAnnealingLR(optimiser, epochs * n_batches)
                if anneal else None)
    label = f'{name} epoch' if name else 'epoch'
    for epoch in range(1, epochs + 1):
        for m in modules:
            m.train()
        total, seen = 0.0, 0
        bar = tqdm(batches(), total=n_batches, desc=f'{label} {epoch}/{epochs}', unit='batch',
                   disable=not progress, leave=False)
        for batch in bar:
            loss, size = step(batch)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            if schedule is not None:
                schedule.step()
            total += loss.item() * size
            seen += size
            bar.set_postfix(loss=f'{loss.item():.3f}')
        for m in modules:
            m.eval()
        line = end_epoch(epoch, total / max(seen, 1))
        if progress:
            tqdm.write(f'{label} {epoch}: loss {total / max(seen, 1):.4f}, {line}')


def fit(model: torch.nn.Module, objective: Objective, train_data: Dataset, val_data: Dataset,
        config: TrainConfig, checkpoint_dir: str | Path, *,
        progress: bool = True) -> TrainResult:
    """Train a classifier (already seeded and built by the caller) and keep the best epoch.

    Checkpoints hold ``model.spec.to_dict()``, which is what rebuilds the model.
    """
    device = resolve_device(config.device)
    model.to(device)
    order = torch.Generator().manual_seed(config.seed)
    checkpoint_dir = Path(checkpoint_dir)
    checkpoint_dir.mkdir(parents=True, exist_ok=True)
    result = TrainResult(model)
    correct = [0]

    def batches() -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        correct[0] = 0
        return _batches(train_data, config.batch_size, order)

    def step(batch: tuple[torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, int]:
        clips, labels = batch
        labels = labels.to(device)
        clips = objective.augment(clips, order)
        output = model(objective.inputs(clips.to(device)))
        correct[0] += int((objective.predict(output) == labels).sum())
        return objective.loss(output, labels) + objective.penalty(model), len(labels)

    def end_epoch(epoch: int, loss: float) -> str:
        stats = EpochStats(epoch, loss, correct[0] / len(train_data[1]),
                           evaluate(model, objective, val_data, config.batch_size))
        result.history.append(stats)
        saved = {'spec': model.spec.to_dict(), 'state_dict': model.state_dict(),
                 'stats': asdict(stats), 'config': asdict(config)}
        torch.save(saved, checkpoint_dir / 'last.pt')
        if stats.val_accuracy >= result.best_val_accuracy:
            result.best_checkpoint = checkpoint_dir / 'best.pt'
            torch.save(saved, result.best_checkpoint)
        return (f'train accuracy {stats.train_accuracy:.3f}, validation accuracy '
                f'{stats.val_accuracy:.3f}')

    train_epochs([model], batches, step, end_epoch, epochs=config.epochs, lr=config.lr,
                 n_batches=-(-len(train_data[1]) // config.batch_size), progress=progress)
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


def plot_history(history: list[EpochStats], path: Path) -> Path:
    """Loss and train/validation accuracy by epoch, as a PNG: a run is judged at a glance."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    epochs = [s.epoch for s in history]
    fig, (loss, accuracy) = plt.subplots(1, 2, figsize=(9, 3.5))
    loss.plot(epochs, [s.loss for s in history], marker='o')
    loss.set(xlabel='epoch', ylabel='loss per clip', title='training loss')
    accuracy.plot(epochs, [s.train_accuracy for s in history], marker='o', label='train')
    accuracy.plot(epochs, [s.val_accuracy for s in history], marker='o', label='validation')
    accuracy.set(xlabel='epoch', ylabel='accuracy', ylim=(0, 1), title='accuracy')
    accuracy.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
