"""The networks: one layer spec the SNN, the ANN and the operation counter read, the training
loop every model shares, and the parts: ``snn`` (SLAYER, NetX, runtimes), ``ann``,
``accumulator`` (spikes -> dense tensor) and ``energy`` (operations and modelled energy)."""

__all__: list[str] = []
