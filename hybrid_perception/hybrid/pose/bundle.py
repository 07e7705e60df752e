"""Trained H2 models as they are deployed: one folder for the initializer and both SNNs.

``model.yaml`` holds the spec and what the models scored; ``initializer.pt`` the ANN (stored in
half precision, which is what a Jetson runs) and ``initializer.onnx`` the same weights as
deployed (onnxruntime, TensorRT on a Jetson), its one output the row ``snn/state_init``
carries;
``snn.net`` the hybrid's SNN as NetX HDF5 (Lava / Loihi, and the torch runtime, which loads the
same quantised weights) and ``snn.readout.npz`` its readout, which runs on the host (numpy
arrays, read with ``allow_pickle=False``: nothing in it can run); ``snn_alone.*`` the SNN
baseline trained from a zero state.

Loading a folder imports neither torch nor SLAYER: only what runs them does (the torch
backends, :func:`save_pose_bundle`), so the initializer on onnxruntime and the compiled SNN
start without them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import yaml

from hybrid_perception.errors import HybridPerceptionError
from hybrid_perception.hybrid.common import DEFAULT_SNN_BACKEND, SNN_BACKENDS, model_folder
from hybrid_perception.hybrid.pose.spec import PoseSpec
from hybrid_perception.hybrid.pose.tracker import PoseInitializer, PoseTracker, Readout
from hybrid_perception.networks.ann.runtime import ANN_BACKENDS, OnnxAnn
from hybrid_perception.networks.weights import WeightsError

if TYPE_CHECKING:
    from hybrid_perception.hybrid.pose.model import PoseSnn, StateInitializer

__all__ = ['SNN_KINDS', 'PoseBundle', 'load_pose_bundle', 'save_pose_bundle']

#: The two trained SNNs: ``hybrid`` runs from the initializer's states, ``alone`` from zero.
SNN_KINDS = {'hybrid': 'snn', 'alone': 'snn_alone'}


@dataclass(frozen=True)
class PoseBundle:
    path: Path
    spec: PoseSpec
    metrics: dict[str, Any] = field(default_factory=dict)

    def initializer(self) -> StateInitializer:
        from hybrid_perception.hybrid.pose.model import StateInitializer
        from hybrid_perception.networks.weights import load_weights
        model = StateInitializer(self.spec)
        weights = load_weights(self.path / 'initializer.pt')
        model.load_state_dict({name: value.float() for name, value in weights.items()})
        return model.eval()

    def pose_initializer(self, backend: str = 'onnxruntime') -> PoseInitializer:
        """The initializer as the node runs it: its ONNX export on onnxruntime (TensorRT or
        CUDA when present), or the torch module."""
        if backend == 'onnxruntime':
            return PoseInitializer(OnnxAnn(self.path / 'initializer.onnx'), self.spec)
        if backend == 'torch':
            return PoseInitializer.of(self.initializer())
        raise HybridPerceptionError(f'ANN backend must be one of {ANN_BACKENDS}, got '
                                    f'{backend!r}')

    def snn(self, kind: str = 'hybrid') -> PoseSnn:
        """One SNN with its readout as torch modules (training, the torch runtime)."""
        import torch

        from hybrid_perception.hybrid.pose.model import PoseSnn
        from hybrid_perception.networks.snn.model import SpikingNetwork
        model = PoseSnn(self.spec, alone=kind == 'alone')
        model.network = SpikingNetwork.load_hdf5(self.snn_path(kind))
        weights = _read_readout(_readout_path(self.snn_path(kind)))
        model.readout.load_state_dict({name: torch.from_numpy(value.astype(np.float32))
                                       for name, value in weights.items()})
        return model.eval()

    def readout(self, kind: str = 'hybrid') -> Readout:
        """One SNN's readout as the host runs it, without building the SNN in torch."""
        weights = _read_readout(_readout_path(self.snn_path(kind)))
        return Readout(weights['weight'].astype(np.float64), weights['bias'].astype(np.float64),
                       self.spec.readout_decay_of(kind == 'alone'))

    def tracker(self, kind: str = 'hybrid', backend: str = DEFAULT_SNN_BACKEND,
                window_steps: int = 1) -> PoseTracker:
        """One SNN with its readout, stepping ``window_steps`` a call compiled on the CPU, on
        torch or on Lava (sim or Loihi)."""
        if backend == 'compiled':
            from hybrid_perception.networks.snn.compiled_runtime import CompiledRuntime
            return PoseTracker(self.spec, self.readout(kind),
                               CompiledRuntime(self.snn_path(kind), window_steps))
        if backend == 'torch':
            from hybrid_perception.networks.snn.torch_runtime import TorchRuntime
            snn = self.snn(kind)
            return PoseTracker.of(snn, TorchRuntime(snn.network, window_steps))
        if backend == 'lava':
            from hybrid_perception.networks.snn.lava_runtime import LavaRuntime
            return PoseTracker(self.spec, self.readout(kind),
                               LavaRuntime(self.snn_path(kind), window_steps))
        raise HybridPerceptionError(f'SNN backend must be one of {SNN_BACKENDS}, got {backend!r}')

    def snn_path(self, kind: str = 'hybrid') -> Path:
        """The NetX export of one SNN (what Lava loads)."""
        if kind not in SNN_KINDS:
            raise HybridPerceptionError(f'SNN kind must be one of {sorted(SNN_KINDS)}, '
                                        f'got {kind!r}')
        return self.path / f'{SNN_KINDS[kind]}.net'


def save_pose_bundle(path: str | Path, spec: PoseSpec, initializer: StateInitializer,
                     snns: dict[str, PoseSnn], metrics: dict[str, Any] | None = None
                     ) -> PoseBundle:
    import torch

    from hybrid_perception.hybrid.pose.model import PackedInitializer
    from hybrid_perception.networks.ann.runtime import export_onnx
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    bundle = PoseBundle(path, spec, dict(metrics or {}))
    (path / 'model.yaml').write_text(yaml.safe_dump(
        {'spec': spec.to_dict(), 'metrics': bundle.metrics}, sort_keys=False))
    torch.save({name: value.half() for name, value in initializer.cpu().state_dict().items()},
               path / 'initializer.pt')
    export_onnx(PackedInitializer(bundle.initializer()), spec.ann_input_shape,
                path / 'initializer.onnx')     # from the stored weights: what torch runs too
    for kind, snn in snns.items():
        target = bundle.snn_path(kind)
        snn.cpu().network.export_hdf5(target)
        np.savez(_readout_path(target), **{name: value.detach().numpy()
                                           for name, value in snn.readout.state_dict().items()})
    return bundle


def _readout_path(snn_path: Path) -> Path:
    return snn_path.with_suffix('.readout.npz')


def _read_readout(path: Path) -> dict[str, np.ndarray]:
    """A readout's ``weight`` and ``bias``; WeightsError when the file is not one."""
    try:
        with np.load(path, allow_pickle=False) as saved:
            return {name: saved[name] for name in ('weight', 'bias')}
    except (OSError, ValueError, KeyError, EOFError) as err:
        raise WeightsError(f'{path} is not a readout weights file: {err}') from err


def load_pose_bundle(path: str | Path) -> PoseBundle:
    """A pose model folder, or the shipped one by name (``pose``)."""
    path = model_folder(path)
    try:
        description = yaml.safe_load((path / 'model.yaml').read_text())
        bundle = PoseBundle(path, PoseSpec.from_dict(description['spec']),
                            description.get('metrics') or {})
    except (OSError, yaml.YAMLError, KeyError, TypeError) as err:
        raise HybridPerceptionError(f'{path} is not a pose model folder written by '
                                    f'hybrid_perception ({err})') from err
    parts = [path / 'initializer.pt', path / 'initializer.onnx'] + [
        part for kind in SNN_KINDS
        for part in (bundle.snn_path(kind), _readout_path(bundle.snn_path(kind)))]
    for part in parts:
        if not part.is_file():
            raise HybridPerceptionError(f'{path}: {part.name} is missing')
    return bundle
