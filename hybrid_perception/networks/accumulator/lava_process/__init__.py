"""The accumulator as a Lava process, so the readout can sit next to the SNN in one Lava run.

Its process model is Python on the CPU (Lava's simulator, or the embedded x86 cores that sit
beside the neuromorphic cores on a Loihi 2 chip). The output port carries the last completed
window's readout on every step; a window's readout first appears on its last step.

It is a package of one file on purpose: Lava finds process models by executing every module
beside the process's own as a standalone file, which the modules beside it need not be.
"""

from __future__ import annotations

from hybrid_perception.networks import lava  # noqa: F401 (before Lava, see there)

# isort: split
import numpy as np
from lava.magma.core.decorator import implements, requires, tag
from lava.magma.core.model.py.model import PyLoihiProcessModel
from lava.magma.core.model.py.ports import PyInPort, PyOutPort
from lava.magma.core.model.py.type import LavaPyType
from lava.magma.core.process.ports.ports import InPort, OutPort
from lava.magma.core.process.process import AbstractProcess
from lava.magma.core.process.variable import Var
from lava.magma.core.resources import CPU
from lava.magma.core.sync.protocols.loihi_protocol import LoihiProtocol

from hybrid_perception.networks.accumulator.readout import integrate, validate_readout

__all__ = ['Accumulator', 'PyAccumulatorModel']


class Accumulator(AbstractProcess):
    """Spike counts (``decay=None``) or a leaky trace over windows of ``window`` steps."""

    def __init__(self, shape: tuple[int, ...], window: int, decay: float | None = None) -> None:
        validate_readout(window, decay)
        super().__init__(shape=shape, window=window, decay=decay)
        self.s_in = InPort(shape=shape)
        self.out = OutPort(shape=shape)
        self.trace = Var(shape=shape, init=0)
        self.readout = Var(shape=shape, init=0)
        self.steps_in_window = Var(shape=(1,), init=0)


@implements(proc=Accumulator, protocol=LoihiProtocol)
@requires(CPU)
@tag('floating_pt', 'fixed_pt')
class PyAccumulatorModel(PyLoihiProcessModel):
    s_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, float)
    out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, float)
    trace: np.ndarray = LavaPyType(np.ndarray, np.float32)
    readout: np.ndarray = LavaPyType(np.ndarray, np.float32)
    steps_in_window: np.ndarray = LavaPyType(np.ndarray, int)

    def __init__(self, proc_params) -> None:
        super().__init__(proc_params)
        self.window = proc_params['window']
        self.decay = proc_params['decay']

    def run_spk(self) -> None:
        spikes = self.s_in.recv().astype(np.float32)
        self.trace = integrate(self.trace, spikes, self.decay).astype(np.float32)
        self.steps_in_window += 1
        if self.steps_in_window[0] == self.window:
            self.readout = self.trace.copy()
            self.steps_in_window[0] = 0
            if self.decay is None:
                self.trace = np.zeros_like(self.trace)
        self.out.send(self.readout)
