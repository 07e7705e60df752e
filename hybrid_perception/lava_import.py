"""Import this before Lava: it lets Lava's import set the multiprocessing start method.

Lava calls ``multiprocessing.set_start_method('fork')`` when first imported, which raises
"context has already been set" if anything fixed the start method before; a tqdm progress bar
does (its lock is a multiprocessing lock). Resetting the choice is safe on Linux, where the
default is fork, the method Lava sets anyway.
"""

import multiprocessing
import sys

if 'lava.magma.runtime.message_infrastructure.multiprocessing' not in sys.modules:
    multiprocessing.set_start_method(None, force=True)
