"""The converted network as the SNN engine runs it: a SLAYER CUBA network (NetX HDF5 for
Lava and Loihi, the same file for the torch runtime), with Loihi's fixed point, and the model
folder it is deployed as.

Integrate-and-fire is CUBA with a current decay of 1 (the current is the step's input) and a
voltage decay of 0, reset to zero on a spike (Loihi's). Threshold balancing stays in the weights:
a layer's weights and its threshold are multiplied by the same ``theta``, which leaves its
spikes unchanged and puts its largest weight at the top of Loihi's signed weight mantissa.
With ``exponent='layer'`` (Loihi's per-layer weight exponent) every layer gets its own
``theta``, so a layer of small weights keeps all its bits; ``'shared'`` uses one for the whole
network (one exponent), as the layer with the largest weights sets it. SLAYER quantises weights
in steps of 1/32 in [-4, 4 - 1/32] (8 bits; NetX writes them as even integers of 1/64, and
Lava's NetX finds each layer's bits and exponent from them): ``weight_bits`` < 8 keeps every
``2 ** (8 - bits)``-th step, which NetX then deploys as that many bits.
SLAYER's blocks have no bias: a network with biases is refused here (train it without, as
``train digits`` does by default) rather than deployed as something else.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
import yaml

from hybrid_perception.errors import HybridPerceptionError
from hybrid_perception.hybrid.common import DEFAULT_SNN_BACKEND, SNN_BACKENDS, model_folder
from hybrid_perception.hybrid.conversion.model import ConversionError, LinearLayer
from hybrid_perception.networks.ann.runtime import OnnxAnn, export_onnx
from hybrid_perception.networks.snn.model import SpikingNetwork
from hybrid_perception.networks.snn.netx import read_spec
from hybrid_perception.networks.snn.runtime import SnnRuntime
from hybrid_perception.networks.snn.torch_runtime import TorchRuntime
from hybrid_perception.networks.spec import NetworkSpec, NeuronSpec

__all__ = ['EXPONENTS', 'MAX_THRESHOLD', 'ConvertedBundle', 'coded_images', 'deployable_network',
           'deployed_activity', 'load_converted', 'rate_spikes', 'run_deployed',
           'save_converted']

#: SLAYER's weight grid (``quantize_8bit``: steps of 2 / w_scale, w_scale = 64)
WEIGHT_STEP = 1 / 32
#: the largest threshold the torch runtime keeps bit-exact with Loihi: SLAYER fires at
#: ``v >= threshold + 0.01 / 4096`` (Loihi: ``v > threshold``), and from 32 up that epsilon is
#: below float32's resolution, so torch fires at equality where the chip does not (seen on a
#: layer with threshold 150.6: agreement 0.995). Well inside Loihi's 17-bit mantissa (2048).
MAX_THRESHOLD = 2047 / 64
EXPONENTS = ('layer', 'shared')


def deployable_network(chain: list[LinearLayer], weight_bits: int = 8, exponent: str = 'layer'
                       ) -> SpikingNetwork:
    """The balanced chain (thresholds 1) as a SLAYER network of ``weight_bits`` signed
    weights with a per-layer (``'layer'``) or one network-wide (``'shared'``) exponent; a
    layer whose scale would take its threshold past :data:`MAX_THRESHOLD` stops there."""
    if not 2 <= weight_bits <= 8:
        raise ConversionError(f'weight bits must be 2..8 (Loihi\'s synapse), got {weight_bits}')
    if exponent not in EXPONENTS:
        raise ConversionError(f'exponent must be one of {EXPONENTS}, got {exponent!r}')
    for i, layer in enumerate(chain):
        if np.any(layer.bias):
            raise ConversionError(f'layer {i} has a bias, which SLAYER/NetX CUBA blocks do not '
                                  'deploy: train without biases (train digits --bias off)')
    step = WEIGHT_STEP * 2 ** (8 - weight_bits)
    top = (2 ** (weight_bits - 1) - 1) * step
    largest = [float(np.abs(layer.weight).max()) or 1.0 for layer in chain]
    thetas = [min(top / (w if exponent == 'layer' else max(largest)), MAX_THRESHOLD)
              for w in largest]
    for i, (theta, weight) in enumerate(zip(thetas, largest, strict=True)):
        if round(weight * theta / step) == 0:
            raise ConversionError(
                f'layer {i}: its weights ({weight:.3g} at most) all round to zero on Loihi\'s '
                f'{weight_bits}-bit grid at the largest exact threshold {MAX_THRESHOLD:.2f}')
    layers = tuple(replace(layer.spec, threshold=theta)
                   for layer, theta in zip(chain, thetas, strict=True))
    spec = NetworkSpec(tuple(chain[0].input_shape), layers,
                       NeuronSpec(threshold=thetas[-1], current_decay=1.0, voltage_decay=0.0))
    network = SpikingNetwork(spec)
    for block, layer, theta in zip(network.spiking_blocks, chain, thetas, strict=True):
        codes = np.clip(np.round(layer.weight * theta / step), -2 ** (weight_bits - 1),
                        2 ** (weight_bits - 1) - 1)
        weight = block.synapse.weight
        weight.data = torch.from_numpy(codes * step).reshape(weight.shape).to(weight)
    return network.eval()


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


def run_deployed(network: SpikingNetwork, images: np.ndarray, labels: np.ndarray, steps: int,
                 batch: int = 64, progress=None) -> tuple[np.ndarray, np.ndarray]:
    """Accuracy after each step 1..``steps`` by output spike counts (ties to the lowest
    class, as an argmax of the chip's counters), and the output spike counts per image.

    SLAYER's fixed-point forward, batched; each image starts from rest and is followed by
    one silent step per layer so its last spikes arrive (every layer delays by one step). The
    torch runtime streams the same forward and Lava agrees with it spike for spike
    (:func:`hybrid_perception.networks.snn.compare.compare_runtimes`)."""
    flush = network.spec.flush_steps
    correct = np.zeros(steps)
    totals = []
    with torch.no_grad():
        for start in range(0, len(images), batch):
            chunk = images[start:start + batch]
            spikes = coded_images(chunk, steps, flush)
            out = network(torch.from_numpy(np.moveaxis(spikes, 1, -1))).numpy()  # (N, K, T')
            counts = np.cumsum(out, axis=-1)[..., flush - 1:flush - 1 + steps]
            correct += (counts.argmax(axis=1) == labels[start:start + batch, None]).sum(0)
            totals.append(counts[..., -1])
            if progress is not None:
                progress.update(len(chunk))
    return correct / len(labels), np.concatenate(totals)


def deployed_activity(network: SpikingNetwork, images: np.ndarray, steps: int, batch: int = 64
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Mean spikes and synaptic operations per image after each step 1..``steps`` on the Loihi
    build, counted from its own fixed-point forward (the input spikes into the first layer,
    every layer's spikes into the next), on the time line :func:`run_deployed` scores."""
    from hybrid_perception.networks.energy.operations import synaptic_ops
    flush = network.spec.flush_steps
    recorded: list[torch.Tensor] = []
    hooks = [block.neuron.register_forward_hook(lambda _m, _i, out: recorded.append(out))
             for block in network.spiking_blocks]
    compiled, network.compiled_neurons = network.compiled_neurons, False  # hooks see SLAYER's
    spikes = np.zeros(steps + flush)
    ops = np.zeros(steps + flush)
    try:
        with torch.no_grad():
            for start in range(0, len(images), batch):
                chunk = images[start:start + batch]
                recorded.clear()
                x = torch.from_numpy(np.moveaxis(coded_images(chunk, steps, flush), 1, -1))
                network(x)
                for layer, pre in zip(network.spec.layers, [x, *recorded[:-1]], strict=True):
                    for t in range(pre.shape[-1]):
                        ops[t] += float(synaptic_ops(layer, pre[..., t]))
                for out in recorded:
                    spikes += out.flatten(0, -2).sum(0).numpy()
    finally:
        network.compiled_neurons = compiled
        for hook in hooks:
            hook.remove()
    window = slice(flush - 1, flush - 1 + steps)
    return np.cumsum(spikes)[window] / len(images), np.cumsum(ops)[window] / len(images)


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
