"""The seed's deployment techniques (Chandarana et al. 2022, after Intel's Loihi recipe), each
a switch measured one at a time from the baseline, and the best of each measured together.

A technique is scored where it exists: threshold balancing, bias handling, reset mode, input
coding and initial voltage on the float SNN (the Loihi build is always reset to zero, takes
rate-coded spikes and starts from rest); the weight exponent and weight bits on the Loihi
build (SLAYER's fixed point, the network Lava and the chip run); the early decision on the
Loihi build streamed image by image, as ``image_classifier_node`` runs it. Every row gives the
fewest time steps within 1 point of the ANN and, at those steps (or the sweep's last if never),
the accuracy, synaptic operations, estimated Loihi energy and latency. "Best" is the fewest
steps to that target, then the least energy.
"""

from __future__ import annotations

import tempfile
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

from hybrid_perception.hybrid.conversion.bundle import ConvertedBundle
from hybrid_perception.hybrid.conversion.evaluation import (
    LOIHI_STEP_S,
    SpikingResult,
    run_spiking,
)
from hybrid_perception.hybrid.conversion.loihi_build import (
    deployable_network,
    deployed_activity,
    run_deployed,
)
from hybrid_perception.hybrid.conversion.model import LinearLayer
from hybrid_perception.hybrid.conversion.normalization import activation_scales, normalize
from hybrid_perception.hybrid.conversion.report import loihi_energy
from hybrid_perception.hybrid.conversion.stream import ImageClassifier
from hybrid_perception.networks.energy.models import EnergyModel

__all__ = ['EARLY_MARGINS', 'FLOAT_TECHNIQUES', 'LOIHI_TECHNIQUES', 'Settings', 'TechniqueRow',
           'compare_techniques']


@dataclass(frozen=True)
class Settings:
    """One combination of the switches (``convert``'s flags of the same names)."""

    method: str = 'percentile'
    bias: str = 'keep'
    reset: str = 'subtract'
    coding: str = 'analog'
    initial_voltage: float = 0.0
    exponent: str = 'layer'
    weight_bits: int = 8
    early_margin: int = 0


#: technique -> (the Settings field it switches, its options); float SNN
FLOAT_TECHNIQUES = {
    'threshold balancing': ('method', ('max', 'percentile', 'qcfs')),
    'bias': ('bias', ('keep', 'drop')),
    'reset': ('reset', ('subtract', 'zero')),
    'input coding': ('coding', ('analog', 'poisson')),
    'initial voltage': ('initial_voltage', (0.0, 0.5)),
}
#: the same on the Loihi build
LOIHI_TECHNIQUES = {
    'weight exponent': ('exponent', ('layer', 'shared')),
    'weight bits': ('weight_bits', (8, 6, 4)),
}
#: output spikes the leader must be ahead by to stop an image early (checked every 8 steps)
EARLY_MARGINS = (0, 2, 4)
EARLY = {'early decision': ('early_margin', EARLY_MARGINS)}


@dataclass(frozen=True)
class TechniqueRow:
    technique: str
    setting: str
    network: str                 # 'float' or 'Loihi'
    steps_to_target: int | None  # fewest steps within 1 point of the ANN (None: not reached)
    steps: float                 # steps the figures are at (mean per image when early)
    accuracy: float
    final_accuracy: float        # at the sweep's last step
    synaptic_ops: float
    energy_uj: float             # Loihi, operations only: a MODEL ESTIMATE
    latency_ms: float            # steps x Loihi's measured time per step: an ESTIMATE

    def rank(self) -> tuple:
        return (self.steps_to_target is None, self.steps_to_target or 0, self.energy_uj)


def compare_techniques(chain: list[LinearLayer], calibration: np.ndarray, images: np.ndarray,
                       labels: np.ndarray, ann: float, steps: int, baseline: Settings,
                       early_images: int = 100, progress=None) -> dict:
    """Every technique's rows against ``baseline`` and the best combinations, float and on
    the Loihi build (absent when the network keeps biases, which the build cannot carry).
    ``chain`` is the network as read, before balancing; ``progress(text)`` is told of each
    run."""
    target = ann - 0.01
    say = progress or (lambda _text: None)
    has_bias = any(layer.bias.any() for layer in chain)
    qcfs = any(layer.levels for layer in chain)
    runs: dict[Settings, SpikingResult] = {}

    def float_run(settings: Settings) -> SpikingResult:
        if settings not in runs:
            say(f'float SNN: {_describe(settings, FLOAT_TECHNIQUES)}')
            runs[settings] = run_spiking(_balanced(chain, calibration, settings), images, labels,
                                         steps, reset=settings.reset, coding=settings.coding,
                                         initial_voltage=settings.initial_voltage)
        return runs[settings]

    rows: list[TechniqueRow] = []
    best = {}
    for technique, (name, options) in FLOAT_TECHNIQUES.items():
        options = [o for o in options if (name != 'method' or o != 'qcfs' or qcfs)
                   and (name != 'bias' or has_bias)]
        if not options:
            continue
        mine = [_row(technique, option, 'float', float_run(replace(baseline, **{name: option})),
                     chain, target) for option in options]
        rows += mine
        best[name] = _option(options, mine, getattr(baseline, name))
    combined = replace(baseline, **best)
    rows.append(_row('best combination', _describe(combined, FLOAT_TECHNIQUES), 'float',
                     float_run(combined), chain, target))
    out = {'baseline': asdict(baseline), 'rows': rows,
           'best_float': _fields(combined, FLOAT_TECHNIQUES)}
    if has_bias and baseline.bias == 'keep':
        return out

    converted = _balanced(chain, calibration, baseline)
    builds: dict[Settings, SpikingResult] = {}

    def loihi_run(settings: Settings) -> SpikingResult:
        if settings not in builds:
            say(f'Loihi build: {_describe(settings, LOIHI_TECHNIQUES)}')
            network = deployable_network(converted, settings.weight_bits, settings.exponent)
            accuracy, _ = run_deployed(network, images, labels, steps)
            builds[settings] = SpikingResult(accuracy, *deployed_activity(network, images[:100],
                                                                          steps))
        return builds[settings]

    for technique, (name, options) in LOIHI_TECHNIQUES.items():
        mine = [_row(technique, option, 'Loihi', loihi_run(replace(baseline, **{name: option})),
                     converted, target) for option in options]
        rows += mine
        best[name] = _option(options, mine, getattr(baseline, name))
    build = replace(baseline, exponent=best['exponent'], weight_bits=best['weight_bits'])
    early: list[TechniqueRow] = []
    network = deployable_network(converted, build.weight_bits, build.exponent)
    classes = tuple(str(c) for c in range(chain[-1].output_shape[0]))
    with tempfile.TemporaryDirectory() as tmp:
        network.export_hdf5(Path(tmp) / 'snn.net')
        bundle = ConvertedBundle(Path(tmp), network.spec, classes, steps, 0)
        for margin in EARLY_MARGINS:
            say(f'Loihi build, early decision: margin {margin}')
            early.append(_early_row(bundle, margin, images[:early_images],
                                    labels[:early_images]))
    rows += early
    chosen = min((row for row in early if row.accuracy >= target), default=early[0],
                 key=lambda row: row.energy_uj)
    best_loihi = replace(build, early_margin=int(chosen.setting))
    rows.append(replace(chosen, technique='best combination', setting=_describe(
        best_loihi, {**LOIHI_TECHNIQUES, **EARLY})))
    out['best_loihi'] = _fields(best_loihi, {'threshold balancing': ('method', ()),
                                             **LOIHI_TECHNIQUES, **EARLY})
    return out


def _balanced(chain: list[LinearLayer], calibration: np.ndarray, settings: Settings
              ) -> list[LinearLayer]:
    if settings.bias == 'drop':
        chain = [replace(layer, bias=np.zeros_like(layer.bias)) for layer in chain]
    return normalize(chain, activation_scales(chain, calibration, settings.method))


def _row(technique: str, option, network: str, result: SpikingResult,
         chain: list[LinearLayer], target: float) -> TechniqueRow:
    reached = result.steps_to(target)
    t = reached or result.accuracy.size
    return TechniqueRow(technique, str(option), network, reached, float(t),
                        float(result.accuracy[t - 1]), float(result.accuracy[-1]),
                        float(result.synaptic_ops_per_sample[t - 1]),
                        loihi_energy(result, chain, t).joules * 1e6, t * LOIHI_STEP_S * 1e3)


def _early_row(bundle: ConvertedBundle, margin: int, images: np.ndarray, labels: np.ndarray
               ) -> TechniqueRow:
    """The node's own early decision, streamed on the torch runtime, image by image."""
    classifier = ImageClassifier(bundle, margin=margin, count_ops=True)
    right = sum(classifier(image[0]).label == str(label)
                for image, label in zip(images, labels, strict=True))
    ops = classifier.ops_per_image()
    mean = classifier.mean_steps()
    accuracy = right / len(images)
    return TechniqueRow('early decision', str(margin), 'Loihi', None, mean, accuracy,
                        accuracy, float(ops.synaptic_op),
                        EnergyModel('loihi').estimate(ops).joules * 1e6,
                        mean * LOIHI_STEP_S * 1e3)


def _option(options, rows: list[TechniqueRow], current):
    """The best-ranked option; on a tie, the baseline's own."""
    return min(zip(options, rows, strict=True),
               key=lambda pair: (pair[1].rank(), pair[0] != current))[0]


def _fields(settings: Settings, techniques: dict) -> dict:
    """The settings the techniques switch (the Loihi build has no reset, coding or initial
    voltage to choose: it resets to zero, takes rate-coded spikes and starts from rest)."""
    return {name: getattr(settings, name) for name, _ in techniques.values()}


def _describe(settings: Settings, techniques: dict) -> str:
    return ', '.join(f'{k}={v}' for k, v in _fields(settings, techniques).items())
