"""Operation counting and modelled energy/power for Loihi, Loihi 2, Jetson and the NCS2.

Counting from activity (:mod:`.operations`) runs torch; the counts themselves (:mod:`.counts`)
and the energy models (:mod:`.models`) do not, and importing this package does not import
torch until a counting name is used.
"""

from importlib import import_module

from hybrid_perception.networks.energy.counts import OpCounts
from hybrid_perception.networks.energy.models import (
    COEFFICIENTS_FILE,
    EnergyEstimate,
    EnergyModel,
    platforms,
)

_COUNTING = ('AnnOps', 'OpCounter', 'count_macs', 'count_snn_ops')
__all__ = ['COEFFICIENTS_FILE', 'EnergyEstimate', 'EnergyModel', 'OpCounts', 'platforms',
           *_COUNTING]


def __getattr__(name: str):
    if name not in _COUNTING:
        raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
    return getattr(import_module(f'{__name__}.operations'), name)
