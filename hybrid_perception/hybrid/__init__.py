"""The published hybrid systems, composed from the event, SNN, accumulator and ANN parts."""

from .classifier import (
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
