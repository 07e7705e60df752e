"""The exported network run by Lava: NetX builds the processes from the HDF5 file.

``backend='sim'`` is ``Loihi2SimCfg(select_tag='fixed_pt')``, the bit-accurate Loihi model on
the CPU; ``'loihi2'`` is a real chip through Intel's lava-loihi extension, which is not public,
so it is detected and never required; ``'auto'`` takes the chip when there is one. The
processes are built once: each window rewrites the input buffer's contents and runs
``window_steps`` more steps, so neuron state carries over and can be set between runs.
"""

from __future__ import annotations

from hybrid_perception.networks import lava  # noqa: F401 (before Lava and netx: see there)

# isort: split
from pathlib import Path

import numpy as np
from lava.lib.dl import netx
from lava.magma.core.run_conditions import RunSteps
from lava.magma.core.run_configs import Loihi2HwCfg, Loihi2SimCfg
from lava.proc import io
from lava.utils import loihi

from hybrid_perception.errors import HybridPerceptionError
from hybrid_perception.networks.snn.compiled_runtime import CompiledRuntime
from hybrid_perception.networks.snn.netx import STATE_SCALE, read_spec
from hybrid_perception.networks.snn.runtime import NeuronState, SnnRuntime

__all__ = ['BACKENDS', 'LavaRuntime', 'loihi2_available']

BACKENDS = ('auto', 'sim', 'loihi2')


def loihi2_available() -> bool:
    """Whether Intel's lava-loihi (the Loihi 2 compiler and runtime) is importable."""
    return loihi.is_installed()


class LavaRuntime(SnnRuntime):
    """A NetX network between a ring-buffer source and sink, one Lava run per window.

    Lava hands back only the output layer's spikes; the operation counts need every layer's.
    Those come from the compiled runtime stepping the same input and states alongside
    (``layer_spikes``, bit-exact with Lava: tested), at a small fraction of the simulation's
    cost and on the host when the network runs on the chip. A window whose output differs from
    it is counted in ``shadow_mismatches``: its counts are then not the chip's.
    """

    def __init__(self, path: str | Path, window_steps: int, backend: str = 'auto') -> None:
        super().__init__(read_spec(path), window_steps)
        self._shadow = CompiledRuntime(path, window_steps)
        self.layer_spikes: list[np.ndarray] = []
        self.shadow_mismatches = 0
        self.backend = _resolve(backend)
        self.network = netx.hdf5.Network(net_config=str(path),
                                         input_shape=_lava_layout(self.spec.input_shape))
        t = self.window_steps
        self._source = io.source.RingBuffer(data=np.zeros((*self.network.inp.shape, t)))
        self._sink = io.sink.RingBuffer(shape=self.network.out.shape, buffer=t)
        self._connect()
        self._run_cfg = (Loihi2SimCfg(select_tag='fixed_pt') if self.backend == 'sim'
                         else Loihi2HwCfg())
        self._started = False

    def _connect(self) -> None:
        if self.backend == 'sim':
            self._source.s_out.connect(self.network.inp)
            self.network.out.connect(self._sink.a_in)
            return
        from lava.proc.embedded_io.spike import NxToPyAdapter, PyToNxAdapter  # lava-loihi only
        into_chip = PyToNxAdapter(shape=self.network.inp.shape)
        out_of_chip = NxToPyAdapter(shape=self.network.out.shape)
        self._source.s_out.connect(into_chip.inp)
        into_chip.out.connect(self.network.inp)
        self.network.out.connect(out_of_chip.inp)
        out_of_chip.out.connect(self._sink.a_in)

    def _run(self, spikes: np.ndarray) -> np.ndarray:
        self._write(self._source.data, _lava_layout_t(spikes))
        self.network.run(condition=RunSteps(num_steps=self.window_steps),
                         run_cfg=self._run_cfg)
        self._started = True
        out = _lava_layout_t(self._sink.data.get())
        if not np.array_equal(self._shadow.step(spikes), out):
            self.shadow_mismatches += 1
        self.layer_spikes = self._shadow.layer_spikes
        return out

    def _read_state(self, layer: int) -> NeuronState:
        neuron = self.network.layers[layer].neuron
        return NeuronState(*(np.transpose(self._read(var)) / STATE_SCALE
                             for var in (neuron.u, neuron.v)))

    def _write_state(self, layer: int, state: NeuronState) -> None:
        self._shadow.set_state(layer, state)
        neuron = self.network.layers[layer].neuron
        for var, values in ((neuron.u, state.current), (neuron.v, state.voltage)):
            self._write(var, np.round(np.transpose(values) * STATE_SCALE).astype(np.int64))

    def reset(self) -> None:
        self._shadow.reset()
        for layer in self.network.layers:
            for var in (layer.neuron.u, layer.neuron.v, _in_flight(layer.synapse)):
                self._write(var, np.zeros(var.shape))

    def _read(self, var) -> np.ndarray:
        """A Lava variable's value; before the first run, its init (which may be a scalar)."""
        return var.get() if self._started else np.broadcast_to(var.init, var.shape)

    def _write(self, var, value: np.ndarray) -> None:
        """Set a Lava variable; before the first run there is no runtime, so set its init."""
        if self._started:
            var.set(value)
        else:
            var.init = value

    def close(self) -> None:
        if self._started:
            self.network.stop()
            self._started = False


def _resolve(backend: str) -> str:
    if backend not in BACKENDS:
        raise HybridPerceptionError(f'backend must be one of {BACKENDS}, got {backend!r}')
    if backend == 'auto':
        return 'loihi2' if loihi2_available() else 'sim'
    if backend == 'loihi2' and not loihi2_available():
        raise HybridPerceptionError(
            "backend 'loihi2' needs Intel's lava-loihi extension, which is not installed")
    return backend


def _in_flight(synapse):
    """The synapse's buffer of input not yet delivered (NetX's Dense and Conv name it apart)."""
    return synapse.a_buff if hasattr(synapse, 'a_buff') else synapse.a_buf


def _lava_layout(shape: tuple[int, ...]) -> tuple[int, ...]:
    """Lava orders axes (x, y, channel): ours reversed."""
    return tuple(reversed(shape))


def _lava_layout_t(array: np.ndarray) -> np.ndarray:
    """(T, C, H, W) <-> (W, H, C, T): reversing every axis maps each form onto the other."""
    return np.ascontiguousarray(np.transpose(array))
