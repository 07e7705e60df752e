"""Training H3's ANN: the LeNet-5 on handwritten digits, through the shared loop
(:func:`hybrid_perception.networks.training.fit`), so checkpoints and progress look as H1's do.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from torch import nn

from hybrid_perception.datasets.digits import DigitImages
from hybrid_perception.hybrid.conversion.model import LeNet5
from hybrid_perception.networks.training import TrainConfig, TrainResult, fit

__all__ = ['LeNetSpec', 'DigitsNet', 'ImageObjective', 'train_digits', 'load_digits_net',
           'read_ann']


@dataclass(frozen=True)
class LeNetSpec:
    """What rebuilds the network from a checkpoint."""

    input_size: int = 28
    classes: int = 10
    pooling: str = 'avg'
    bias: bool = False      # SLAYER/NetX blocks deploy none
    activation: str = 'relu'  # or 'qcfs': trained for conversion in few steps
    levels: int = 8           # QCFS quantisation levels

    def to_dict(self) -> dict:
        return asdict(self)


class DigitsNet(nn.Module):
    """LeNet-5 with its spec attached (what :func:`fit` saves beside the weights)."""

    def __init__(self, spec: LeNetSpec = LeNetSpec()) -> None:
        super().__init__()
        self.spec = spec
        self.layers = LeNet5(spec.input_size, spec.classes, spec.pooling, spec.bias,
                             spec.activation, spec.levels)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.layers(images)


class ImageObjective:
    """Images in, class scores out; training images shifted by up to a pixel either way
    (1,347 digits are few, and handwriting wanders)."""

    def inputs(self, images: torch.Tensor) -> torch.Tensor:
        return images

    def augment(self, images: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        dy, dx = torch.randint(-1, 2, (2,), generator=generator).tolist()
        return torch.roll(images, shifts=(dy, dx), dims=(2, 3))

    def loss(self, output: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return nn.functional.cross_entropy(output, labels)

    def penalty(self, model: nn.Module) -> float:
        return 0.0

    def predict(self, output: torch.Tensor) -> torch.Tensor:
        return output.argmax(1)


def train_digits(train: DigitImages, val: DigitImages, out: Path, config: TrainConfig,
                 spec: LeNetSpec = LeNetSpec(), progress: bool = True) -> TrainResult:
    """Train from a seed; ``out`` gets best.pt and last.pt."""
    torch.manual_seed(config.seed)
    model = DigitsNet(spec)
    return fit(model, ImageObjective(), (train.images, train.labels), (val.images, val.labels),
               config, out, progress=progress)


def load_digits_net(path: str | Path) -> DigitsNet:
    """A network from a checkpoint of :func:`train_digits` (weights only: nothing runs)."""
    from hybrid_perception.networks.weights import load_weights
    saved = load_weights(path)
    model = DigitsNet(LeNetSpec(**saved['spec']))
    model.load_state_dict(saved['state_dict'])
    return model.eval()


def read_ann(path: str | Path) -> tuple[nn.Module, tuple[int, ...]]:
    """(network, input shape (1, S, S)) of a :func:`train_digits` checkpoint or of an ONNX file
    of a sequential image classifier exported by any tool."""
    from hybrid_perception.hybrid.conversion.model import ConversionError
    path = Path(path)
    if path.suffix == '.onnx':
        from hybrid_perception.hybrid.conversion.onnx_import import read_onnx
        model, shape = read_onnx(path)
    else:
        model = load_digits_net(path)
        shape = (1, model.spec.input_size, model.spec.input_size)
    if len(shape) != 3 or shape[0] != 1 or shape[1] != shape[2]:
        raise ConversionError(f'{path}: takes input {shape}; images here are (1, S, S) grey')
    return model, shape
