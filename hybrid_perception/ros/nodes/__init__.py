"""The nodes, one module each; every module's ``main`` is the node's console script."""
