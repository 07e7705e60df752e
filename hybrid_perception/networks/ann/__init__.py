"""Dense networks: the ANN halves of the hybrids and the ANN baselines."""

from hybrid_perception.networks.ann.model import build_ann

__all__ = ['build_ann']
