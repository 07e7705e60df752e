"""Running an ANN for inference: the torch module itself, or its ONNX export on onnxruntime.

ONNX is the ANN's deployment boundary, as NetX HDF5 is the SNN's: on a Jetson, onnxruntime
runs the same file with the TensorRT (or CUDA) execution provider, chosen here at run time
from what the installed onnxruntime offers. torch is imported only by what runs it, so a
node serving the ONNX file starts without it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from hybrid_perception.errors import HybridPerceptionError

if TYPE_CHECKING:
    import torch

__all__ = ['ANN_BACKENDS', 'AnnRuntime', 'OnnxAnn', 'TorchAnn', 'export_onnx',
           'onnx_providers', 'softmax']

ANN_BACKENDS = ('torch', 'onnxruntime')
# Fastest first; onnxruntime falls back along the list for operators a provider lacks.
_PREFERRED_PROVIDERS = ('TensorrtExecutionProvider', 'CUDAExecutionProvider',
                        'CPUExecutionProvider')


class AnnRuntime(ABC):
    """(M, *input_shape) float32 -> (M, outputs) float32, on whatever backend."""

    input_shape: tuple[int, ...]

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        batch = np.asarray(batch, np.float32)
        if batch.shape[1:] != tuple(self.input_shape):
            expected = ', '.join(map(str, self.input_shape))
            raise HybridPerceptionError(f'ANN input must be (M, {expected}), got {batch.shape}')
        return self._run(np.ascontiguousarray(batch))

    @abstractmethod
    def _run(self, batch: np.ndarray) -> np.ndarray: ...

    @property
    @abstractmethod
    def device(self) -> str:
        """Where it runs, for logs and diagnostics (e.g. 'cpu', 'TensorrtExecutionProvider')."""


class TorchAnn(AnnRuntime):
    def __init__(self, module: torch.nn.Module, input_shape: tuple[int, ...],
                 device: str | torch.device = 'cpu') -> None:
        import torch
        self._torch = torch
        self.input_shape = tuple(input_shape)
        self._device = torch.device(device)
        self.module = module.to(self._device).eval()

    def _run(self, batch: np.ndarray) -> np.ndarray:
        with self._torch.no_grad():
            return self.module(self._torch.from_numpy(batch).to(self._device)).cpu().numpy()

    @property
    def device(self) -> str:
        return str(self._device)


def onnx_providers() -> list[str]:
    """The execution providers to ask for, best first, among those this onnxruntime has."""
    import onnxruntime

    available = set(onnxruntime.get_available_providers())
    return [p for p in _PREFERRED_PROVIDERS if p in available]


class OnnxAnn(AnnRuntime):
    """An ONNX file on onnxruntime. Its CPU threads do not spin between runs: onnxruntime's
    default keeps its pool busy-waiting after each inference, which on a small machine takes
    the cores from the node's other work (the SNN beside it ran 3x slower). ``threads``: its
    CPU threads per operator (0: onnxruntime's default, one a core)."""

    def __init__(self, path: str | Path, providers: list[str] | None = None,
                 threads: int = 0) -> None:
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.add_session_config_entry('session.intra_op.allow_spinning', '0')
        options.add_session_config_entry('session.inter_op.allow_spinning', '0')
        try:
            self.session = onnxruntime.InferenceSession(str(path), sess_options=options,
                                                        providers=providers or onnx_providers())
        except Exception as err:  # onnxruntime raises its own untyped errors for bad files
            raise HybridPerceptionError(f'cannot load ONNX model {path}: '
                                        f'{str(err).splitlines()[0]}') from err
        spec = self.session.get_inputs()[0]
        self._input = spec.name
        self.input_shape = tuple(int(n) for n in spec.shape[1:])

    def _run(self, batch: np.ndarray) -> np.ndarray:
        return self.session.run(None, {self._input: batch})[0]

    @property
    def device(self) -> str:
        return self.session.get_providers()[0]


def export_onnx(module: torch.nn.Module, input_shape: tuple[int, ...], path: str | Path) -> Path:
    """Write ``module`` as ONNX with a free batch dimension (one decision or many)."""
    import torch
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    module = module.cpu().eval()
    torch.onnx.export(module, torch.zeros(1, *input_shape), str(path), input_names=['features'],
                      output_names=['logits'], dynamic_axes={'features': {0: 'batch'},
                                                             'logits': {0: 'batch'}},
                      opset_version=17)
    return path


def softmax(logits: np.ndarray) -> np.ndarray:
    """Class probabilities of logits (the last axis), in numpy: the decision stages run
    without torch."""
    exp = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return exp / exp.sum(axis=-1, keepdims=True)
