"""A trained classifier as it is deployed: one folder, each half in its deployment format.

``model.yaml`` holds the spec and how the input is binned (and what the model scored);
``snn.net`` is the SNN head as NetX HDF5 (Lava / Loihi), ``ann.onnx`` the ANN tail as ONNX
(onnxruntime / TensorRT on a Jetson), ``model.pt`` the torch weights of both (the torch
backends, fine-tuning). The nodes need nothing else, so a folder can be copied to a robot.

Loading a folder needs no torch: torch and SLAYER are imported only by what runs them (the
torch backends, :func:`save_bundle`), so the accumulator and an onnxruntime ANN start fast.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import yaml

from hybrid_perception.errors import HybridPerceptionError
from hybrid_perception.hybrid.common import DEFAULT_SNN_BACKEND, SNN_BACKENDS, model_folder
from hybrid_perception.hybrid.gesture.spec import HybridSpec
from hybrid_perception.networks.ann.runtime import (
    ANN_BACKENDS,
    AnnRuntime,
    OnnxAnn,
    TorchAnn,
    softmax,
)

if TYPE_CHECKING:
    from hybrid_perception.hybrid.gesture.model import HybridClassifier
    from hybrid_perception.networks.snn.runtime import SnnRuntime

__all__ = ['ClassifierBundle', 'InputBinning', 'load_bundle', 'save_bundle']


@dataclass(frozen=True)
class InputBinning:
    """How events become the model's input: ``bin_us`` bins, ``downsample`` pixel blocks."""

    sensor_width: int = 128
    sensor_height: int = 128
    bin_us: int = 10_000
    downsample: int = 4
    warmup_steps: int = 8


@dataclass(frozen=True)
class ClassifierBundle:
    path: Path
    spec: HybridSpec
    binning: InputBinning
    metrics: dict[str, Any] = field(default_factory=dict)

    @property
    def snn_path(self) -> Path | None:
        return self.path / 'snn.net' if self.spec.kind != 'ann' else None

    @property
    def ann_path(self) -> Path | None:
        return self.path / 'ann.onnx' if self.spec.kind != 'snn' else None

    @property
    def temperature(self) -> float:
        """Logits are divided by it before the softmax: the calibration fitted after training
        (:mod:`.calibration`; 1 for a model without one)."""
        return float(self.metrics.get('temperature', 1.0))

    def probabilities(self, logits: np.ndarray) -> np.ndarray:
        """The published class probabilities of logits (the last axis)."""
        return softmax(np.asarray(logits, np.float32) / np.float32(self.temperature))

    def model(self) -> HybridClassifier:
        from hybrid_perception.hybrid.gesture.model import HybridClassifier
        from hybrid_perception.networks.weights import load_weights
        model = HybridClassifier(self.spec)
        model.load_state_dict(load_weights(self.path / 'model.pt'))
        return model.eval()

    def snn_runtime(self, backend: str = DEFAULT_SNN_BACKEND, *, lava_backend: str = 'auto',
                    window_steps: int | None = None) -> SnnRuntime:
        """The SNN head stepping ``window_steps`` per call (default: one interval's): compiled
        on the CPU, on torch, or on Lava (sim or Loihi)."""
        if self.snn_path is None:
            raise HybridPerceptionError(f'{self.path}: an all-ANN model has no SNN')
        steps = window_steps or self.spec.window_steps
        if backend == 'compiled':
            from hybrid_perception.networks.snn.compiled_runtime import CompiledRuntime
            return CompiledRuntime(self.snn_path, steps)
        if backend == 'torch':
            from hybrid_perception.networks.snn.torch_runtime import TorchRuntime
            return TorchRuntime(self.model().snn, steps)
        if backend == 'lava':
            from hybrid_perception.networks.snn.lava_runtime import LavaRuntime
            return LavaRuntime(self.snn_path, steps, backend=lava_backend)
        raise HybridPerceptionError(f'SNN backend must be one of {SNN_BACKENDS}, got {backend!r}')

    def ann_runtime(self, backend: str = 'onnxruntime') -> AnnRuntime:
        """The ANN tail: onnxruntime (TensorRT/CUDA providers when present) or torch.

        On one CPU thread: a tail of ~1 M MACs a decision runs in 38 µs on one thread here
        against 55-69 µs with each operator split over both cores (the hand-over costs more
        than the work), and it leaves the other core to the graph's other nodes."""
        if self.ann_path is None:
            raise HybridPerceptionError(f'{self.path}: an all-SNN model has no ANN')
        if backend == 'onnxruntime':
            return OnnxAnn(self.ann_path, threads=1)
        if backend == 'torch':
            return TorchAnn(self._ann_module(), self.spec.feature_shape)
        raise HybridPerceptionError(f'ANN backend must be one of {ANN_BACKENDS}, got {backend!r}')

    def _ann_module(self):
        """The ANN tail alone as a torch module, from ``model.pt``'s ``ann.*`` weights: the
        whole model would build the SNN head in SLAYER too, seconds of imports for nothing."""
        from hybrid_perception.networks.ann.model import build_ann
        from hybrid_perception.networks.weights import load_weights
        spec = self.spec
        ann = build_ann(spec.feature_shape, spec.layers[spec.spiking:], bias=spec.bias)
        weights = load_weights(self.path / 'model.pt')
        ann.load_state_dict({name[len('ann.'):]: value for name, value in weights.items()
                             if name.startswith('ann.')})
        return ann.eval()


def save_bundle(model: HybridClassifier, path: str | Path, binning: InputBinning,
                metrics: dict[str, Any] | None = None) -> ClassifierBundle:
    import torch

    from hybrid_perception.networks.ann.runtime import export_onnx
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    model = model.cpu().eval()
    bundle = ClassifierBundle(path, model.spec, binning, dict(metrics or {}))
    description = {'spec': model.spec.to_dict(), 'binning': asdict(binning),
                   'metrics': bundle.metrics}
    (path / 'model.yaml').write_text(yaml.safe_dump(description, sort_keys=False))
    torch.save(model.state_dict(), path / 'model.pt')
    if bundle.snn_path:
        model.snn.export_hdf5(bundle.snn_path)
    if bundle.ann_path:
        export_onnx(model.ann, model.spec.feature_shape, bundle.ann_path)
    return bundle


def load_bundle(path: str | Path) -> ClassifierBundle:
    """A bundle folder, or a shipped model by name (``gesture/hybrid``)."""
    path = model_folder(path)
    try:
        description = yaml.safe_load((path / 'model.yaml').read_text())
        bundle = ClassifierBundle(path, HybridSpec.from_dict(description['spec']),
                                  InputBinning(**description['binning']),
                                  description.get('metrics') or {})
    except (OSError, yaml.YAMLError, KeyError, TypeError) as err:
        raise HybridPerceptionError(f'{path} is not a model folder written by '
                                    f'hybrid_perception ({err})') from err
    for part in (path / 'model.pt', bundle.snn_path, bundle.ann_path):
        if part is not None and not part.is_file():
            raise HybridPerceptionError(f'{path}: {part.name} is missing')
    return bundle
