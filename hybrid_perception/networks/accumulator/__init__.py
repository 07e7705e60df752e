"""Spike -> non-spike bridge: counts or a leaky readout per window (numpy/torch and Lava).

The Lava process is in :mod:`hybrid_perception.networks.accumulator.lava_process` so that importing
the readout functions does not start Lava.
"""

from hybrid_perception.networks.accumulator.readout import SpikeAccumulator, accumulate, integrate

__all__ = ['SpikeAccumulator', 'accumulate', 'integrate']
