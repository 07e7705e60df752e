"""H1 (Seekings et al. 2024): an SNN head on Loihi, the spike accumulator, an ANN tail on the
Jetson, classifying DVS gestures; the all-ANN and all-SNN baselines are its two ends."""

from hybrid_perception.hybrid.gesture.model import (
    BUILTIN_HYBRID_SPECS,
    HybridClassifier,
    HybridSpec,
    IntervalObjective,
    load_hybrid_spec,
    stream_accuracy,
    stream_logits,
)

__all__ = ['BUILTIN_HYBRID_SPECS', 'HybridClassifier', 'HybridSpec', 'IntervalObjective',
           'load_hybrid_spec', 'stream_accuracy', 'stream_logits']
