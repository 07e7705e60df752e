"""The SLAYER network stepped window by window, aligned step for step with Loihi.

On Loihi a synapse delivers its input one step late, so at the end of a window every layer's
state lags SLAYER's plain forward by one step and the window's last input is still in flight.
We run the same lag: the last input step is held back for the next window and the last block
does not add SLAYER's output delay. Output spikes are the plain forward's, and states read or
written between windows mean the same thing here as on the chip.

On the CPU the neurons run compiled (:mod:`~hybrid_perception.networks.snn.cuba`: SLAYER's
fixed-point CUBA loop in numba, bit-exact); ``neurons='slayer'`` keeps SLAYER's own loop, which
CUDA always uses.
"""

from __future__ import annotations

import copy

import numpy as np
import torch

from hybrid_perception.networks.snn.cuba import bake_weights, compiled_block, supports
from hybrid_perception.networks.snn.model import SpikingNetwork
from hybrid_perception.networks.snn.runtime import NeuronState, SnnRuntime

__all__ = ['NEURON_LOOPS', 'TorchRuntime']

#: how the neurons run: numba-compiled (the CPU default) or SLAYER's own loop
NEURON_LOOPS = ('compiled', 'slayer')


class TorchRuntime(SnnRuntime):
    """SLAYER on the CPU or CUDA, with quantised weights (SLAYER's 8-bit hook, as exported)."""

    def __init__(self, network: SpikingNetwork, window_steps: int,
                 device: str | torch.device = 'cpu', neurons: str = 'compiled') -> None:
        super().__init__(network.spec, window_steps)
        if neurons not in NEURON_LOOPS:
            raise ValueError(f'neurons must be one of {NEURON_LOOPS}, got {neurons!r}')
        self.device = torch.device(device)
        self.network = copy.deepcopy(network).to(self.device).eval()
        self.blocks = self.network.spiking_blocks
        for block in self.blocks:
            block.neuron.persistent_state = True
        self.blocks[-1].delay_shift = False
        self.compiled = (neurons == 'compiled' and self.device.type == 'cpu'
                         and all(supports(block) for block in self.blocks))
        self.network.compiled_neurons = self.compiled
        if self.compiled:
            for block in self.blocks:
                bake_weights(block.synapse)
        self.layer_spikes: list[np.ndarray] = []
        for block in self.blocks:
            block.neuron.register_forward_hook(self._record_spikes)
        self.reset()

    def reset(self) -> None:
        for block, shape in zip(self.blocks, self.layer_shapes, strict=True):
            zeros = torch.zeros(1, *shape, device=self.device)
            block.neuron.current_state = zeros.clone()
            block.neuron.voltage_state = zeros.clone()
            block.delay_buffer = None
        self._held_input = torch.zeros(1, *self.spec.input_shape, 1, device=self.device)

    def _run(self, spikes: np.ndarray) -> np.ndarray:
        window = torch.from_numpy(np.moveaxis(spikes, 0, -1)).unsqueeze(0).to(self.device)
        shifted = torch.cat([self._held_input, window[..., :-1]], dim=-1)
        self._held_input = window[..., -1:]
        self.layer_spikes = []
        with torch.no_grad():
            out = self._forward(shifted) if self.compiled else self.network(shifted)
        return np.moveaxis(out[0].cpu().numpy(), -1, 0)

    def _forward(self, x: torch.Tensor) -> torch.Tensor:
        """SLAYER's block forward (synapse, neuron, one step's delay) with the compiled
        neurons."""
        for block in self.network.blocks:
            if not hasattr(block, 'neuron'):
                x = block(x)
                continue
            spikes, x = compiled_block(block, x)
            self._record_spikes(block.neuron, None, spikes)
        return x

    def _record_spikes(self, _module: torch.nn.Module, _inputs: object,
                       spikes: torch.Tensor) -> None:
        """Keep each layer's spikes of the last window, (T, *shape), for operation counting."""
        self.layer_spikes.append(np.moveaxis(spikes[0].cpu().numpy(), -1, 0))

    def _read_state(self, layer: int) -> NeuronState:
        neuron = self.blocks[layer].neuron
        return NeuronState(neuron.current_state[0].cpu().numpy().copy(),
                           neuron.voltage_state[0].cpu().numpy().copy())

    def _write_state(self, layer: int, state: NeuronState) -> None:
        neuron = self.blocks[layer].neuron
        neuron.current_state = torch.as_tensor(state.current, dtype=torch.float32,
                                               device=self.device)[None].clone()
        neuron.voltage_state = torch.as_tensor(state.voltage, dtype=torch.float32,
                                               device=self.device)[None].clone()
