"""Dense networks: the ANN halves of the hybrids and the ANN baselines."""

from .model import build_ann

__all__ = ['build_ann']
