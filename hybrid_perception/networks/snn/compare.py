"""Run one exported network on the torch and Lava runtimes side by side.

Used by ``hybrid-perception run-snn`` and ``benchmarks/snn_runtimes.py``: both need the same
stream through both runtimes, the spike agreement, each runtime's speed and the counted
operations of the run.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hybrid_perception.networks.energy import OpCounts, count_snn_ops
from hybrid_perception.networks.snn.model import SpikingNetwork
from hybrid_perception.networks.snn.torch_runtime import TorchRuntime

__all__ = ['RuntimeComparison', 'as_windows', 'compare_runtimes', 'spike_agreement']


@dataclass(frozen=True)
class RuntimeComparison:
    steps: int
    torch_seconds: float
    lava_seconds: float | None
    torch_output: np.ndarray
    lava_output: np.ndarray | None
    ops: OpCounts
    lava_backend: str | None

    @property
    def torch_steps_per_s(self) -> float:
        return self.steps / self.torch_seconds

    @property
    def lava_steps_per_s(self) -> float | None:
        return self.steps / self.lava_seconds if self.lava_seconds else None

    @property
    def agreement(self) -> float | None:
        if self.lava_output is None:
            return None
        return spike_agreement(self.torch_output, self.lava_output)


def spike_agreement(a: np.ndarray, b: np.ndarray) -> float:
    """Fraction of (step, neuron) entries where both emitted the same spike value."""
    return float(np.mean(np.asarray(a) == np.asarray(b)))


def as_windows(clips: np.ndarray, window: int) -> np.ndarray:
    """Clips (N, T, ...) played back to back, cut into (M, window, ...); a partial tail is cut."""
    stream = np.concatenate(list(clips))
    usable = len(stream) // window * window
    return stream[:usable].reshape(-1, window, *stream.shape[1:])


def compare_runtimes(path: str | Path, windows: np.ndarray, *, lava: bool = True,
                     backend: str = 'sim', device: str = 'cpu', neurons: str = 'compiled'
                     ) -> RuntimeComparison:
    """Stream ``windows`` (N, T, C, H, W) through both runtimes; count the torch run's ops.
    ``neurons``: the torch runtime's neuron loop (compiled, or SLAYER's own)."""
    window_steps = windows.shape[1]
    runtime = TorchRuntime(SpikingNetwork.load_hdf5(path), window_steps, device=device,
                           neurons=neurons)
    runtime.step(windows[0])  # first call allocates; not timed, like Lava's start below
    runtime.reset()
    layer_spikes: list[list[np.ndarray]] = [[] for _ in runtime.layer_shapes]
    start = time.perf_counter()
    torch_output = []
    for window in windows:
        torch_output.append(runtime.step(window))
        for recorded, spikes in zip(layer_spikes, runtime.layer_spikes, strict=True):
            recorded.append(spikes)
    torch_seconds = time.perf_counter() - start
    ops = count_snn_ops(runtime.spec, np.concatenate(windows),
                        [np.concatenate(s) for s in layer_spikes])
    lava_output = lava_seconds = lava_backend = None
    if lava:
        from hybrid_perception.networks.snn.lava_runtime import LavaRuntime
        with LavaRuntime(path, window_steps, backend=backend) as lava_runtime:
            lava_runtime.step(windows[0])  # the first run compiles and starts Lava: not timed
            lava_runtime.reset()
            start = time.perf_counter()
            lava_output = np.concatenate([lava_runtime.step(w) for w in windows])
            lava_seconds = time.perf_counter() - start
            lava_backend = lava_runtime.backend
    return RuntimeComparison(len(windows) * window_steps, torch_seconds, lava_seconds,
                             np.concatenate(torch_output), lava_output, ops, lava_backend)
