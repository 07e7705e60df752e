"""The DVS simulator, its per-pixel reference model, synthetic scenes and the drawing they use."""

from hybrid_perception.sim.simulator import DvsParams, DvsSimulator

__all__ = ['DvsParams', 'DvsSimulator']
