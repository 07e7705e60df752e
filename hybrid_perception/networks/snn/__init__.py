"""Spiking networks: a declarative spec, SLAYER models and training, NetX export, runtimes.

Names are imported from their modules on first use: the exported network's reading
(:mod:`.netx`) and the compiled runtime run without torch or SLAYER, and a node that runs only
them does not import those with this package. The Lava runtime lives in
:mod:`hybrid_perception.networks.snn.lava_runtime` and is imported on its own, so that training
and the torch runtime do not start Lava.
"""

from importlib import import_module

from hybrid_perception.networks.spec import (
    BUILTIN_SPECS,
    ConvLayer,
    DenseLayer,
    NetworkSpec,
    NeuronSpec,
    SpecError,
    load_spec,
)

#: where an SNN runs: ``compiled`` the exported network on the CPU (numpy and numba, no torch;
#: :mod:`.compiled_runtime`), ``torch`` SLAYER (CUDA when there is one), ``lava`` Lava (Loihi
#: when lava-loihi finds one, else its simulator); all three give the same spikes
SNN_BACKENDS = ('compiled', 'torch', 'lava')
DEFAULT_SNN_BACKEND = 'compiled'

_HOMES = {'STATE_SCALE': 'netx', 'WEIGHT_SCALE': 'netx', 'read_spec': 'netx',
          'SpikingNetwork': 'model', 'NeuronState': 'runtime', 'RuntimeInputError': 'runtime',
          'SnnRuntime': 'runtime', 'quantise_state': 'runtime',
          'TorchRuntime': 'torch_runtime', 'CompiledRuntime': 'compiled_runtime'}

__all__ = ['BUILTIN_SPECS', 'DEFAULT_SNN_BACKEND', 'SNN_BACKENDS', 'ConvLayer', 'DenseLayer',
           'NetworkSpec', 'NeuronSpec', 'SpecError', 'load_spec', *sorted(_HOMES)]


def __getattr__(name: str):
    if name not in _HOMES:
        raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
    return getattr(import_module(f'{__name__}.{_HOMES[name]}'), name)
