"""lava-dl's slayer, imported without its stray print.

On its first import slayer's object-detection datasets print a warning to stdout when the
Prophesee toolbox (which nothing here uses) is missing; stdout is where our commands print
their results, so the package imports slayer from here.
"""

import contextlib
import io

with contextlib.redirect_stdout(io.StringIO()):
    from lava.lib.dl import slayer

__all__ = ['slayer']
