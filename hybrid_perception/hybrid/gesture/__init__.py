"""H1 (Seekings et al. 2024): an SNN head on Loihi, the spike accumulator, an ANN tail on the
Jetson, classifying DVS gestures; the all-ANN and all-SNN baselines are its two ends.

Names are imported from their modules on first use, so a node that needs only the spec and
the model folder (:mod:`.spec`, :mod:`.bundle`) does not import torch with this package.
"""

from importlib import import_module

_HOMES = {'BUILTIN_HYBRID_SPECS': 'spec', 'HybridSpec': 'spec', 'load_hybrid_spec': 'spec',
          'HybridClassifier': 'model', 'IntervalObjective': 'model', 'stream_accuracy': 'model',
          'stream_logits': 'model'}
__all__ = sorted(_HOMES)


def __getattr__(name: str):
    if name not in _HOMES:
        raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
    return getattr(import_module(f'{__name__}.{_HOMES[name]}'), name)
