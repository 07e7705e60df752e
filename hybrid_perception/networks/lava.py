"""Lava and lava-dl's slayer, imported the one way that works here: import them from this module.

- Lava calls ``multiprocessing.set_start_method('fork')`` when its message infrastructure is
  first imported, which raises "context has already been set" if anything fixed the start
  method before; a tqdm progress bar does (its lock is a multiprocessing lock). So this module
  clears the choice (safe on Linux, where the default is fork, the method Lava sets anyway) and
  imports that infrastructure at once, before any bar can be drawn.
- On its first import slayer's object-detection datasets print a warning to stdout when the
  Prophesee toolbox (which nothing here uses) is missing; stdout is where our commands print
  their results, so slayer is imported with stdout silenced.
"""

import contextlib
import io
import multiprocessing
import sys

_LAVA_MULTIPROCESSING = 'lava.magma.runtime.message_infrastructure.multiprocessing'

with contextlib.redirect_stdout(io.StringIO()):
    if _LAVA_MULTIPROCESSING not in sys.modules:
        multiprocessing.set_start_method(None, force=True)
        import lava.magma.runtime.message_infrastructure.multiprocessing  # noqa: F401
    from lava.lib.dl import slayer

__all__ = ['slayer']
