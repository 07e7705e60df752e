"""H2 as it runs live: the initializer once a window, the SNN on a runtime every step, and the
readout on the host. The nodes and the offline evaluation both run these, so what is measured
offline is what the graph does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from hybrid_perception.hybrid.pose.spec import PoseSpec
from hybrid_perception.networks.ann.runtime import AnnRuntime
from hybrid_perception.networks.energy.counts import OpCounter
from hybrid_perception.networks.snn.runtime import NeuronState, SnnRuntime

if TYPE_CHECKING:
    from hybrid_perception.hybrid.pose.model import PoseSnn, StateInitializer

__all__ = ['Initialization', 'PoseInitializer', 'PoseTracker', 'Readout']


@dataclass(frozen=True)
class Initialization:
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
               shapes: list[tuple[int, ...]]) -> Initialization:
        """The inverse of :meth:`pack` for a network of layer ``shapes``; ValueError names
        the size a vector of the wrong length should have had."""
        sizes = [joints * 2] + [int(np.prod(s)) for s in shapes for _ in range(2)]
        vector = np.asarray(vector, np.float32).ravel()
        if vector.size != sum(sizes):
            raise ValueError(f'an initialization of this model holds {sum(sizes)} values '
                             f'({joints} joints and {len(shapes)} layers of states), got '
                             f'{vector.size}')
        parts = np.split(vector, np.cumsum(sizes)[:-1])
        states = [NeuronState(parts[1 + 2 * i].reshape(shape), parts[2 + 2 * i].reshape(shape))
                  for i, shape in enumerate(shapes)]
        return cls(parts[0].reshape(joints, 2), states)


class PoseInitializer:
    """The ANN on any ANN runtime: a histogram (2 x bins, H, W) of event counts in, pose and
    states out. The runtime runs :class:`~.model.PackedInitializer` (on torch, or its ONNX
    export on onnxruntime), whose one output row is already what ``snn/state_init`` carries."""

    def __init__(self, runtime: AnnRuntime, spec: PoseSpec) -> None:
        self.runtime = runtime
        self.spec = spec
        self._shapes = spec.snn.layer_shapes()

    @classmethod
    def of(cls, model: StateInitializer) -> PoseInitializer:
        """A trained initializer on torch."""
        from hybrid_perception.hybrid.pose.model import PackedInitializer
        from hybrid_perception.networks.ann.runtime import TorchAnn
        return cls(TorchAnn(PackedInitializer(model.eval()), model.spec.ann_input_shape),
                   model.spec)

    def __call__(self, histogram: np.ndarray) -> Initialization:
        if np.shape(histogram) != self.spec.ann_input_shape:
            raise ValueError(f'the initializer takes a {self.spec.ann_input_shape} histogram, '
                             f'got {np.shape(histogram)}')
        return Initialization.unpack(self.runtime(np.asarray(histogram)[None])[0],
                                     self.spec.joints, self._shapes)

    def warm_up(self) -> None:
        """One call on an empty histogram, for the reason :meth:`PoseTracker.warm_up` gives."""
        self(np.zeros(self.spec.ann_input_shape, np.float32))

    def poses(self, histograms: np.ndarray) -> np.ndarray:
        """(N, 2 x bins, H, W) -> (N, joints, 2) pixels: the ANN baseline, which runs the
        same network as the hybrid's initializer at the SNN's rate."""
        joints = self.spec.joints
        return self.runtime(histograms)[:, :2 * joints].reshape(-1, joints, 2)


@dataclass(frozen=True)
class Readout:
    """The host's readout of the SNN's last layer: ``y_t = decay y_(t-1) + W s_t + b``, with
    ``weight`` (joints x 2, units) and ``bias`` in sensor fractions."""

    weight: np.ndarray
    bias: np.ndarray
    decay: float

    @classmethod
    def of(cls, snn: PoseSnn) -> Readout:
        """A trained SNN's readout (torch's parameters as numpy)."""
        return cls(snn.readout.weight.detach().numpy().astype(np.float64),
                   snn.readout.bias.detach().numpy().astype(np.float64), snn.decay)


class PoseTracker:
    """The SNN stepping on a runtime, its output spikes read out into a pose every step.

    Between initializations the readout's pose carries on (``y_t = decay y_(t-1) + W s_t + b``);
    :meth:`initialize` writes the ANN's states into the runtime and restarts the readout from
    the ANN's pose.
    """

    def __init__(self, spec: PoseSpec, readout: Readout, runtime: SnnRuntime) -> None:
        self.spec = spec
        self.decay = readout.decay
        self.runtime = runtime
        self.weight, self.bias = readout.weight, readout.bias
        sensor = self.spec.windows.sensor
        self._scale = np.array([sensor.width, sensor.height], np.float64)
        self.counter = OpCounter(self.spec.snn)     # every step's work, for the energy model
        self.reset()

    @classmethod
    def of(cls, snn: PoseSnn, runtime: SnnRuntime) -> PoseTracker:
        """A trained SNN's readout over ``runtime``."""
        return cls(snn.spec, Readout.of(snn), runtime)

    def warm_up(self) -> None:
        """One silent step, then forgotten: the first call's one-off costs (allocation, kernel
        selection) would otherwise land on the first live step."""
        self.step(np.zeros((1, *self.spec.snn.input_shape), np.float32))
        self.counter = OpCounter(self.spec.snn)
        self.reset()

    def reset(self) -> None:
        """Everything at rest: the runtime zeroed, the readout at zero (the SNN alone's start)."""
        self.runtime.reset()
        self._pose = np.zeros(self.spec.joints * 2)

    def initialize(self, initialization: Initialization) -> None:
        for layer, state in enumerate(initialization.states):
            self.runtime.set_state(layer, state)
        self._pose = (np.asarray(initialization.pose, np.float64) / self._scale).ravel()

    def step(self, spikes: np.ndarray) -> np.ndarray:
        """(T, C, H, W) input spikes of the runtime's window -> (T, joints, 2) pixels, the pose
        at the end of every step."""
        out = self.runtime.step(spikes).reshape(len(spikes), -1)
        self.counter.add(self.runtime, spikes)
        poses = []
        for drive in out @ self.weight.T + self.bias:
            self._pose = self.decay * self._pose + drive
            poses.append(self._pose.reshape(-1, 2) * self._scale)
        return np.stack(poses)
