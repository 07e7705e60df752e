"""Spiking networks: a declarative spec, SLAYER models and training, NetX export, runtimes.

The Lava runtime lives in :mod:`hybrid_perception.networks.snn.lava_runtime` and is imported on its
own, so that training and the torch runtime do not start Lava.
"""

from hybrid_perception.networks.snn.model import (
    STATE_SCALE,
    WEIGHT_SCALE,
    SpikingNetwork,
    read_spec,
)
from hybrid_perception.networks.snn.runtime import (
    NeuronState,
    RuntimeInputError,
    SnnRuntime,
    quantise_state,
)
from hybrid_perception.networks.snn.torch_runtime import TorchRuntime
from hybrid_perception.networks.spec import (
    BUILTIN_SPECS,
    ConvLayer,
    DenseLayer,
    NetworkSpec,
    NeuronSpec,
    SpecError,
    load_spec,
)

__all__ = [
    'BUILTIN_SPECS', 'STATE_SCALE', 'WEIGHT_SCALE', 'ConvLayer', 'DenseLayer', 'NetworkSpec',
    'NeuronSpec', 'NeuronState', 'RuntimeInputError', 'SnnRuntime', 'SpecError',
    'SpikingNetwork', 'TorchRuntime', 'load_spec', 'quantise_state', 'read_spec',
]
