"""H2 as it runs live: the initialiser once a window, the SNN on a runtime every step, and the
readout on the host. The nodes and the offline evaluation both run these, so what is measured
offline is what the graph does.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..snn.runtime import NeuronState, SnnRuntime
from .pose import PoseSnn, StateInitialiser

__all__ = ['Initialisation', 'PoseInitialiser', 'PoseTracker']


@dataclass(frozen=True)
class Initialisation:
    """What the ANN hands the SNN: the pose (joints, 2) in sensor pixels and every spiking
    layer's state, laid out as the runtimes take it."""

    pose: np.ndarray
    states: list[NeuronState]

    def pack(self) -> np.ndarray:
        """One float32 vector, as it travels between the nodes: the pose (x, y per joint),
        then every layer's current and voltage in C order."""
        parts = [self.pose] + [a for state in self.states for a in (state.current, state.voltage)]
        return np.concatenate([np.ravel(a) for a in parts]).astype(np.float32)

    @classmethod
    def unpack(cls, vector: np.ndarray, joints: int,
               shapes: list[tuple[int, ...]]) -> Initialisation:
        """The inverse of :meth:`pack` for a network of layer ``shapes``; ValueError names
        the size a vector of the wrong length should have had."""
        sizes = [joints * 2] + [int(np.prod(s)) for s in shapes for _ in range(2)]
        vector = np.asarray(vector, np.float32).ravel()
        if vector.size != sum(sizes):
            raise ValueError(f'an initialisation of this model holds {sum(sizes)} values '
                             f'({joints} joints and {len(shapes)} layers of states), got '
                             f'{vector.size}')
        parts = np.split(vector, np.cumsum(sizes)[:-1])
        states = [NeuronState(parts[1 + 2 * i].reshape(shape), parts[2 + 2 * i].reshape(shape))
                  for i, shape in enumerate(shapes)]
        return cls(parts[0].reshape(joints, 2), states)


class PoseInitialiser:
    """The ANN on torch: a histogram (2 x bins, H, W) of event counts in, pose and states out."""

    def __init__(self, model: StateInitialiser) -> None:
        self.model = model.eval()
        self.spec = model.spec

    def __call__(self, histogram: np.ndarray) -> Initialisation:
        with torch.no_grad():
            pose, states = self.model.initialise(self._batch(histogram))
        return Initialisation(self.spec.to_pixels(pose)[0].numpy(),
                              [NeuronState(current[0].numpy(), voltage[0].numpy())
                               for current, voltage in states])

    def poses(self, histograms: np.ndarray) -> np.ndarray:
        """(N, 2 x bins, H, W) -> (N, joints, 2) pixels: the pose path alone, the ANN
        baseline."""
        with torch.no_grad():
            return self.spec.to_pixels(self.model(torch.from_numpy(
                np.ascontiguousarray(histograms, np.float32)))).numpy()

    def _batch(self, histogram: np.ndarray) -> torch.Tensor:
        expected = self.spec.ann_input_shape
        if np.shape(histogram) != expected:
            raise ValueError(f'the initialiser takes a {expected} histogram, got '
                             f'{np.shape(histogram)}')
        return torch.from_numpy(np.ascontiguousarray(histogram, np.float32))[None]


class PoseTracker:
    """The SNN stepping on a runtime, its output spikes read out into a pose every step.

    Between initialisations the readout's pose carries on (``y_t = decay y_(t-1) + W s_t + b``);
    :meth:`initialise` writes the ANN's states into the runtime and restarts the readout from
    the ANN's pose.
    """

    def __init__(self, snn: PoseSnn, runtime: SnnRuntime) -> None:
        self.spec = snn.spec
        self.runtime = runtime
        self.weight = snn.readout.weight.detach().numpy().astype(np.float64)
        self.bias = snn.readout.bias.detach().numpy().astype(np.float64)
        sensor = self.spec.windows.sensor
        self._scale = np.array([sensor.width, sensor.height], np.float64)
        self.reset()

    def reset(self) -> None:
        """Everything at rest: the runtime zeroed, the readout at zero (the SNN alone's start)."""
        self.runtime.reset()
        self._pose = np.zeros(self.spec.joints * 2)

    def initialise(self, initialisation: Initialisation) -> None:
        for layer, state in enumerate(initialisation.states):
            self.runtime.set_state(layer, state)
        self._pose = (np.asarray(initialisation.pose, np.float64) / self._scale).ravel()

    def step(self, spikes: np.ndarray) -> np.ndarray:
        """(T, C, H, W) input spikes of the runtime's window -> (T, joints, 2) pixels, the pose
        at the end of every step."""
        out = self.runtime.step(spikes).reshape(len(spikes), -1)
        poses = []
        for drive in out @ self.weight.T + self.bias:
            self._pose = self.spec.readout_decay * self._pose + drive
            poses.append(self._pose.reshape(-1, 2) * self._scale)
        return np.stack(poses)
