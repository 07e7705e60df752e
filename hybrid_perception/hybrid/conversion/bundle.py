"""The converted model as it is deployed: one folder (``model.yaml``, the Loihi build as NetX
HDF5, the ANN it came from as ONNX), and the rate coding its images go in with.

Loading a folder and running it needs no torch (the compiled runtime and onnxruntime run it),
so a node serving it starts without torch; building and measuring the Loihi build is
:mod:`hybrid_perception.hybrid.conversion.loihi_build`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import yaml

from hybrid_perception.errors import HybridPerceptionError
from hybrid_perception.hybrid.common import DEFAULT_SNN_BACKEND, SNN_BACKENDS, model_folder
from hybrid_perception.networks.ann.runtime import OnnxAnn
from hybrid_perception.networks.snn.netx import read_spec
from hybrid_perception.networks.snn.runtime import SnnRuntime
from hybrid_perception.networks.spec import NetworkSpec

if TYPE_CHECKING:
    import torch

    from hybrid_perception.networks.snn.model import SpikingNetwork

__all__ = ['ConvertedBundle', 'coded_images', 'load_converted', 'rate_spikes', 'save_converted']


def rate_spikes(images: np.ndarray, steps: int) -> np.ndarray:
    """(N, C, H, W) intensities in [0, 1] -> (N, steps, C, H, W) spikes of an integrate-and-
    fire encoder (threshold 1, subtract): a pixel of value p spikes p * steps times, evenly
    (the deterministic counterpart of a constant-current input)."""
    voltage = np.zeros(images.shape, np.float32)
    out = np.zeros((images.shape[0], steps, *images.shape[1:]), np.float32)
    for t in range(steps):
        voltage += images
        fired = voltage >= 1.0
        voltage -= fired
        out[:, t] = fired
    return out


def coded_images(images: np.ndarray, steps: int, flush: int) -> np.ndarray:
    """(N, C, H, W) -> (N, steps + flush, C, H, W): each image rate-coded for ``steps``, then
    ``flush`` silent steps for its last spikes to reach the output (what the Loihi build is
    scored, counted and compared on)."""
    return np.concatenate([rate_spikes(images, steps),
                           np.zeros((len(images), flush, *images.shape[1:]), np.float32)],
                          axis=1)


@dataclass(frozen=True)
class ConvertedBundle:
    """A converted image classifier as it is deployed, one folder: ``model.yaml`` (the classes,
    the input side, the time steps it was scored at), ``snn.net`` (the Loihi build as NetX
    HDF5: Lava, Loihi and the torch runtime all load it) and ``ann.onnx`` (the ANN it was
    converted from: the baseline on onnxruntime, and what OpenVINO compiles for an NCS2)."""

    path: Path
    spec: NetworkSpec
    classes: tuple[str, ...]
    steps: int
    ann_macs: int                # of the ANN as trained (pooling and all), one image
    metrics: dict[str, Any] = field(default_factory=dict)

    @property
    def input_size(self) -> int:
        return int(self.spec.input_shape[-1])

    @property
    def snn_path(self) -> Path:
        return self.path / 'snn.net'

    @property
    def ann_path(self) -> Path:
        return self.path / 'ann.onnx'

    @property
    def flush_steps(self) -> int:
        return self.spec.flush_steps

    def snn_runtime(self, backend: str = DEFAULT_SNN_BACKEND, window_steps: int = 1
                    ) -> SnnRuntime:
        if backend == 'compiled':
            from hybrid_perception.networks.snn.compiled_runtime import CompiledRuntime
            return CompiledRuntime(self.snn_path, window_steps)
        if backend == 'torch':
            from hybrid_perception.networks.snn.model import SpikingNetwork
            from hybrid_perception.networks.snn.torch_runtime import TorchRuntime
            return TorchRuntime(SpikingNetwork.load_hdf5(self.snn_path), window_steps)
        if backend == 'lava':
            from hybrid_perception.networks.snn.lava_runtime import LavaRuntime
            return LavaRuntime(self.snn_path, window_steps)
        raise HybridPerceptionError(f'SNN backend must be one of {SNN_BACKENDS}, got {backend!r}')

    def ann_runtime(self) -> OnnxAnn:
        return OnnxAnn(self.ann_path)


def save_converted(path: str | Path, network: SpikingNetwork, ann: torch.nn.Module,
                   steps: int, classes: tuple[str, ...], metrics: dict[str, Any] | None = None
                   ) -> ConvertedBundle:
    """Write the folder :func:`load_converted` reads; ``ann`` is the network before
    conversion (exported to ONNX as it was trained)."""
    import torch

    from hybrid_perception.networks.ann.runtime import export_onnx
    from hybrid_perception.networks.energy.operations import count_macs
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    shape = tuple(network.spec.input_shape)
    macs = count_macs(ann.eval(), torch.zeros(1, *shape)).total
    bundle = ConvertedBundle(path, network.spec, tuple(classes), int(steps), int(macs),
                             dict(metrics or {}))
    network.export_hdf5(bundle.snn_path)
    export_onnx(ann, shape, bundle.ann_path)
    (path / 'model.yaml').write_text(yaml.safe_dump(
        {'kind': 'converted', 'classes': list(bundle.classes), 'steps': bundle.steps,
         'ann_macs': bundle.ann_macs, 'metrics': bundle.metrics}, sort_keys=False))
    return bundle


def load_converted(path: str | Path) -> ConvertedBundle:
    """A folder written by ``convert`` (or :func:`save_converted`), or a shipped one by name
    (``digits``)."""
    path = model_folder(path)
    try:
        description = yaml.safe_load((path / 'model.yaml').read_text())
        if description.get('kind') != 'converted':
            raise KeyError('kind: converted')
        classes = tuple(str(name) for name in description['classes'])
        steps = int(description['steps'])
        macs = int(description['ann_macs'])
    except (OSError, yaml.YAMLError, KeyError, TypeError, AttributeError, ValueError) as err:
        raise HybridPerceptionError(f'{path} is not a converted model folder written by '
                                    f'hybrid_perception convert ({err})') from err
    for part in (path / 'snn.net', path / 'ann.onnx'):
        if not part.is_file():
            raise HybridPerceptionError(f'{path}: {part.name} is missing')
    spec = read_spec(path / 'snn.net')
    if spec.output_shape != (len(classes),):
        raise HybridPerceptionError(f'{path}: the network has {spec.output_shape} outputs, '
                                    f'model.yaml {len(classes)} classes')
    return ConvertedBundle(path, spec, classes, steps, macs, description.get('metrics') or {})
