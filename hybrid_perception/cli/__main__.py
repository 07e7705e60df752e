"""``python -m hybrid_perception.cli``: the ``hybrid-perception`` command without its script."""

import sys

from hybrid_perception.cli.main import main

sys.exit(main())
