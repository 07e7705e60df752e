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

from dataclasses import replace

import numpy as np
import torch

from hybrid_perception.hybrid.conversion.bundle import coded_images
from hybrid_perception.hybrid.conversion.model import ConversionError, LinearLayer
from hybrid_perception.networks.snn.model import SpikingNetwork
from hybrid_perception.networks.spec import NetworkSpec, NeuronSpec

__all__ = ['EXPONENTS', 'MAX_THRESHOLD', 'WEIGHT_STEP', 'deployable_network',
           'deployed_activity', 'run_deployed']

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
