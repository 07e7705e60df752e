"""Hardware energy and power models: counted operations priced with published coefficients.

Nothing here is measured. Every :class:`EnergyEstimate` carries the coefficients that made it
and their source, and prints them, so an estimate is never read as a measurement.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from hybrid_perception.errors import HybridPerceptionError
from hybrid_perception.networks.energy.counts import OpCounts

__all__ = ['COEFFICIENTS_FILE', 'EnergyEstimate', 'EnergyModel', 'platforms']

COEFFICIENTS_FILE = Path(__file__).with_name('coefficients.yaml')


@cache
def _coefficients() -> dict[str, dict]:
    return yaml.safe_load(COEFFICIENTS_FILE.read_text())


def platforms() -> tuple[str, ...]:
    return tuple(_coefficients())


@dataclass(frozen=True)
class EnergyEstimate:
    """Modelled energy of one workload on one platform (an estimate, never a measurement)."""

    platform: str
    joules: float
    seconds: float | None
    breakdown_j: dict[str, float]
    coefficients: dict[str, float]
    source: str
    verified: bool

    @property
    def watts(self) -> float | None:
        return self.joules / self.seconds if self.seconds else None

    def __str__(self) -> str:
        power = f', {self.watts:.3g} W' if self.watts is not None else ''
        coefficients = ', '.join(f'{k} {v:g}' for k, v in self.coefficients.items())
        flag = '' if self.verified else '; coefficients unverified'
        return (f'{self.platform}: {self.joules * 1e6:.4g} uJ{power} (ESTIMATE from '
                f'{coefficients}; source: {self.source}{flag})')


@dataclass(frozen=True)
class EnergyModel:
    """One platform of ``coefficients.yaml``; ``mode`` picks a board's power mode."""

    platform: str
    mode: str | None = None

    def __post_init__(self) -> None:
        if self.platform not in _coefficients():
            raise HybridPerceptionError(f'unknown platform {self.platform!r}; known: '
                                        f'{", ".join(platforms())}')
        if self.mode is not None and self.mode not in self.entry.get('power_w', {}):
            raise HybridPerceptionError(f'{self.platform} has no power mode {self.mode!r}')

    @property
    def entry(self) -> dict:
        return _coefficients()[self.platform]

    def per_layer(self, ops: OpCounts) -> dict[str, float]:
        """Joules of each counted layer: where the energy goes (they add up to the total when
        the time is modelled from MACs)."""
        return {name: self.estimate(layer).joules for name, layer in ops.per_layer.items()}

    def estimate(self, ops: OpCounts, seconds: float | None = None, *,
                 idle: bool = False) -> EnergyEstimate:
        """Energy of ``ops``; ``seconds`` is the workload's duration (for power, and the time a
        board draws its power; without it a board's time is modelled from its MACs, never
        below the board's per-inference floor where it has one). ``idle``: a chip also draws
        its idle power over ``seconds`` (a whole-chip figure to set beside a board's)."""
        entry = self.entry
        if entry['kind'] == 'per_operation':
            pj = entry['pj']
            breakdown = {name: getattr(ops, name) * per_op * 1e-12 for name, per_op in pj.items()}
            coefficients = {f'{name} pJ': value for name, value in pj.items()}
            if idle and seconds is not None and 'idle_w' in entry:
                breakdown['idle'] = entry['idle_w'] * seconds
                coefficients['idle W'] = entry['idle_w']
        else:
            mode = self.mode or entry['mode']
            power = entry['power_w'][mode]
            coefficients = {f'{mode} W': power}
            if seconds is None:
                throughput = entry['peak_macs_per_s'] * entry['utilisation']
                seconds = max(ops.mac / throughput, entry.get('min_seconds', 0.0))
                coefficients.update({'peak MAC/s': entry['peak_macs_per_s'],
                                     'utilisation': entry['utilisation']})
                if 'min_seconds' in entry:
                    coefficients['min s'] = entry['min_seconds']
            breakdown = {'board': power * seconds}
        return EnergyEstimate(self.platform, sum(breakdown.values()), seconds, breakdown,
                              coefficients, entry['source'], bool(entry.get('verified')))
