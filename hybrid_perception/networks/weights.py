"""Weight files, loaded without running anything they hold.

A ``.pt`` file is a pickle, and unpickling can call any function the file names: a model
folder copied from elsewhere could run code on the robot. Every weight file of the package
is read here with ``weights_only=True``, torch's restricted unpickler, which rebuilds tensors
and plain containers (dicts, lists, numbers, strings) and refuses everything else.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

from hybrid_perception.errors import HybridPerceptionError

__all__ = ['WeightsError', 'load_weights']


class WeightsError(HybridPerceptionError):
    """A weight file that is missing, damaged, or holds more than weights."""


def load_weights(path: str | Path) -> Any:
    """Tensors and plain containers from ``path`` (a ``torch.save`` file), on the CPU."""
    import torch  # here, so that WeightsError costs its importers no torch
    try:
        return torch.load(path, map_location='cpu', weights_only=True)
    except pickle.UnpicklingError as err:
        raise WeightsError(f'{path} holds more than weights (refused, nothing of it ran): '
                           f'{str(err).splitlines()[0]}') from err
    except (OSError, RuntimeError, EOFError, ValueError) as err:
        raise WeightsError(f'{path} is not a readable weight file: {err}') from err
