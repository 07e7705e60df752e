"""Operation counting and modelled energy/power for Loihi, Loihi 2, Jetson and the NCS2."""

from hybrid_perception.networks.energy.models import (
           COEFFICIENTS_FILE,
           EnergyEstimate,
           EnergyModel,
           platforms,
)
from hybrid_perception.networks.energy.operations import (
           AnnOps,
           OpCounter,
           OpCounts,
           count_macs,
           count_snn_ops,
)

__all__ = ['COEFFICIENTS_FILE', 'AnnOps', 'EnergyEstimate', 'EnergyModel', 'OpCounts',
           'count_macs', 'count_snn_ops', 'platforms', 'OpCounter']
