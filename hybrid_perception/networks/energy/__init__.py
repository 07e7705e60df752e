"""Operation counting and modelled energy/power for Loihi, Loihi 2, Jetson and the NCS2.

Counting an ANN by running it (:mod:`.operations`) needs torch; counting an SNN from its
spikes (:mod:`.counts`) and the energy models (:mod:`.models`) do not, and importing this
package does not import torch until a torch counting name is used.
"""

from importlib import import_module

from hybrid_perception.networks.energy.counts import OpCounter, OpCounts, count_snn_ops
from hybrid_perception.networks.energy.models import (
    COEFFICIENTS_FILE,
    EnergyEstimate,
    EnergyModel,
    platforms,
)

_COUNTING = ('AnnOps', 'count_macs')
__all__ = ['COEFFICIENTS_FILE', 'EnergyEstimate', 'EnergyModel', 'OpCounter', 'OpCounts',
           'count_snn_ops', 'platforms', *_COUNTING]


def __getattr__(name: str):
    if name not in _COUNTING:
        raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
    return getattr(import_module(f'{__name__}.operations'), name)
