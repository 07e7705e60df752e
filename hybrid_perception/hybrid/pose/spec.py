"""H2's model description, without the model: the SNN's and the ANN encoder's layers, the
readout's decays and how events are binned (``specs/``, a model folder's ``model.yaml``).

Kept apart from :mod:`.model` (torch, SLAYER) so the nodes that run no torch model (the
initializer on onnxruntime; the SNN on the compiled runtime) start without importing them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hybrid_perception.events.array import SensorSize
from hybrid_perception.events.fitting import CameraCrop
from hybrid_perception.geometry.joints import N_JOINTS
from hybrid_perception.hybrid.pose.windows import PoseWindows
from hybrid_perception.networks.spec import (
    ConvLayer,
    DenseLayer,
    NetworkSpec,
    SpecError,
    find_spec_file,
    read_yaml_mapping,
)

if TYPE_CHECKING:
    import torch

__all__ = ['BUILTIN_POSE_SPECS', 'PoseSpec', 'load_pose_spec']

_SPECS_DIR = Path(__file__).parent / 'specs'
BUILTIN_POSE_SPECS = tuple(sorted(p.stem for p in _SPECS_DIR.glob('*.yaml')))


@dataclass(frozen=True)
class PoseSpec:
    """The SNN (NetX layers only), the ANN encoder, the readout, and how events are binned."""

    snn: NetworkSpec
    encoder: tuple[ConvLayer, ...]
    head_units: int = 256
    readout_decay: float = 1.0          # the hybrid's, from the ANN's pose
    alone_readout_decay: float = 0.8    # the SNN alone's, from zero
    joints: int = N_JOINTS
    windows: PoseWindows = field(default_factory=PoseWindows)
    camera_crop: CameraCrop | None = None   # the camera region it was trained on (DHP19's)

    def __post_init__(self) -> None:
        if tuple(self.snn.input_shape) != self.windows.input_shape:
            raise SpecError(f'the SNN input {tuple(self.snn.input_shape)} is not what the '
                            f'windows give, {self.windows.input_shape}')
        if not self.encoder:
            raise SpecError('the ANN encoder needs at least one conv layer')
        for name in ('readout_decay', 'alone_readout_decay'):
            if not 0 <= getattr(self, name) <= 1:
                raise SpecError(f'{name} must be in [0, 1], got {getattr(self, name)}')
        self.state_sources()

    @property
    def ann_input_shape(self) -> tuple[int, int, int]:
        _, h, w = self.windows.input_shape
        return (2 * self.windows.ann_bins, h, w)

    def encoder_shapes(self) -> list[tuple[int, int, int]]:
        return NetworkSpec(self.ann_input_shape, self.encoder).layer_shapes()

    def state_sources(self) -> list[int]:
        """For every spiking layer, the ANN feature its state head reads: the last encoder layer
        of the layer's height and width for a conv layer; for a dense one the pose head's
        hidden layer (index ``len(encoder)``), which is small where the encoder output is not."""
        shapes = self.encoder_shapes()
        sources = []
        for i, (layer, shape) in enumerate(zip(self.snn.layers, self.snn.layer_shapes(),
                                               strict=True)):
            if isinstance(layer, DenseLayer):
                sources.append(len(shapes))
                continue
            match = [k for k, s in enumerate(shapes) if s[1:] == shape[1:]]
            if not match:
                raise SpecError(f'SNN layer {i} is {shape[1]}x{shape[2]}; no encoder layer has '
                                f'that size to set its state from')
            sources.append(match[-1])
        return sources

    def to_pixels(self, pose: torch.Tensor) -> torch.Tensor:
        """(..., 2) sensor fractions -> pixels (scaled by Python numbers, which an ONNX trace
        keeps as constants)."""
        import torch
        sensor = self.windows.sensor
        return torch.stack([pose[..., 0] * sensor.width, pose[..., 1] * sensor.height], dim=-1)

    def to_dict(self) -> dict[str, Any]:
        windows = asdict(self.windows)
        windows['sensor'] = [self.windows.sensor.width, self.windows.sensor.height]
        return {'windows': windows, 'snn': self.snn.to_dict(),
                'encoder': [asdict(layer) for layer in self.encoder],
                'head_units': self.head_units, 'readout_decay': self.readout_decay,
                'alone_readout_decay': self.alone_readout_decay, 'joints': self.joints,
                **({'camera_crop': {'sensor': [self.camera_crop.sensor.width,
                                               self.camera_crop.sensor.height],
                                    'roi': list(self.camera_crop.roi)}}
                   if self.camera_crop else {})}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PoseSpec:
        try:
            windows = dict(data.get('windows') or {})
            if 'sensor' in windows:
                windows['sensor'] = SensorSize(*windows['sensor'])
            windows = PoseWindows(**windows)
            snn = dict(data['snn'])
            snn.setdefault('input_shape', list(windows.input_shape))
            return cls(snn=NetworkSpec.from_dict(snn),
                       encoder=tuple(ConvLayer(**dict(layer)) for layer in data['encoder']),
                       head_units=int(data.get('head_units', 256)),
                       readout_decay=float(data.get('readout_decay', cls.readout_decay)),
                       alone_readout_decay=float(data.get('alone_readout_decay',
                                                          cls.alone_readout_decay)),
                       joints=int(data.get('joints', N_JOINTS)), windows=windows,
                       camera_crop=_camera_crop(data.get('camera_crop')))
        except (KeyError, TypeError, ValueError) as err:
            raise SpecError(f'invalid pose spec: {err!r}') from err

    def readout_decay_of(self, alone: bool) -> float:
        """The readout's decay: the SNN alone's leaks, the hybrid's integrates."""
        return self.alone_readout_decay if alone else self.readout_decay

    def at_rate(self, rate_hz: int) -> PoseSpec:
        """The same networks stepping at another rate (200 Hz: 20 steps of 5 ms a window)."""
        return replace(self, windows=replace(self.windows, rate_hz=rate_hz))


def _camera_crop(data: dict[str, Any] | None) -> CameraCrop | None:
    if data is None:
        return None
    sensor, roi = tuple(int(v) for v in data['sensor']), tuple(int(v) for v in data['roi'])
    if len(sensor) != 2 or len(roi) != 4:
        raise ValueError(f'camera_crop takes sensor [width, height] and roi [x, y, width, '
                         f'height], got {data}')
    return CameraCrop(SensorSize(*sensor), roi)


def load_pose_spec(name_or_path: str | Path) -> PoseSpec:
    """A pose spec from YAML, or one of :data:`BUILTIN_POSE_SPECS` by name."""
    return PoseSpec.from_dict(read_yaml_mapping(find_spec_file(name_or_path, _SPECS_DIR)))
