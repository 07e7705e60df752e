"""The operation totals the energy models price: what a run did, counted by
:mod:`.operations` (from spikes and forward passes) or from layer shapes alone."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ['OpCounts']


@dataclass(frozen=True)
class OpCounts:
    """Operation totals the energy models price; ``per_layer`` holds each layer's own counts,
    so an estimate can say where the energy goes."""

    synaptic_op: float = 0
    neuron_update_active: float = 0
    neuron_update_inactive: float = 0
    spike_out: float = 0
    mac: float = 0
    per_layer: dict[str, OpCounts] = field(default_factory=dict)

    def as_dict(self) -> dict[str, float]:
        return {name: getattr(self, name) for name in _TOTALS}

    def __add__(self, other: OpCounts) -> OpCounts:
        """Counts of two runs together (layer by layer)."""
        layers = {name: self.per_layer.get(name, OpCounts()) + other.per_layer.get(name,
                                                                                  OpCounts())
                  for name in {**self.per_layer, **other.per_layer}}
        return OpCounts(**{name: getattr(self, name) + getattr(other, name) for name in _TOTALS},
                        per_layer=layers)

    def scaled(self, factor: float) -> OpCounts:
        """Per-run averages from totals, e.g. ``total.scaled(1 / windows)``."""
        return OpCounts(**{name: getattr(self, name) * factor for name in _TOTALS},
                        per_layer={k: v.scaled(factor) for k, v in self.per_layer.items()})


_TOTALS = ('synaptic_op', 'neuron_update_active', 'neuron_update_inactive', 'spike_out', 'mac')
