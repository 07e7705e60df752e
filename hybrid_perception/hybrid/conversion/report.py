"""What ``convert`` writes: ``conversion.json`` (the figures) and ``report.md`` with a plot of
accuracy and synaptic operations against time steps, energy labelled as the estimate it is."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from hybrid_perception.hybrid.conversion.evaluation import LOIHI_STEP_S, SpikingResult
from hybrid_perception.hybrid.conversion.model import LinearLayer
from hybrid_perception.networks.energy.models import EnergyModel
from hybrid_perception.networks.energy.operations import OpCounts

__all__ = ['write_live_report', 'write_report', 'loihi_energy']


def loihi_energy(result: SpikingResult, chain: list[LinearLayer], steps: int):
    """Estimated Loihi energy of one inference of ``steps`` steps: its synaptic operations and
    spikes, and every neuron updated every step (an upper bound: Loihi skips idle cores)."""
    neurons = sum(int(np.prod(layer.output_shape)) for layer in chain)
    ops = OpCounts(synaptic_op=float(result.synaptic_ops_per_sample[steps - 1]),
                   neuron_update_active=float(neurons * steps),
                   spike_out=float(result.spikes_per_sample[steps - 1]))
    return EnergyModel('loihi').estimate(ops)


def write_report(out: Path, ann_accuracy: float, result: SpikingResult, steps: list[int],
                 settings: dict[str, Any], chain: list[LinearLayer],
                 deployed: dict | None = None, techniques: dict | None = None) -> dict:
    """``deployed``: the Loihi build's accuracy, spikes and synaptic operations by step, its
    thresholds, its spike agreement (torch vs Lava) and its file; ``techniques``: what
    :func:`.techniques.compare_techniques` measured."""
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for quantized in (False, True) if deployed is not None else (False,):
        accuracy = deployed['accuracy'] if quantized else result.accuracy
        activity = (SpikingResult(deployed['accuracy'], deployed['spikes'],
                                  deployed['synaptic_ops']) if quantized else result)
        for t in steps:
            energy = loihi_energy(activity, chain, t)
            rows.append({'steps': t, 'quantized': quantized, 'accuracy': float(accuracy[t - 1]),
                         'spikes': float(activity.spikes_per_sample[t - 1]),
                         'synaptic_ops': float(activity.synaptic_ops_per_sample[t - 1]),
                         'energy_uj': energy.joules * 1e6,
                         'latency_ms': t * LOIHI_STEP_S * 1e3})
    summary = {
        'ann': {'accuracy': ann_accuracy},
        'snn': rows,
        'steps_to': {'ann_minus_1_point': result.steps_to(ann_accuracy - 0.01),
                     'ann_minus_0.1_point': result.steps_to(ann_accuracy - 0.001)},
        'layer_rates': result.layer_rates,
        'settings': settings,
        'energy_model': str(loihi_energy(result, chain, steps[-1])),
    }
    if deployed is not None:
        summary.update(spike_agreement=deployed['spike_agreement'],
                       loihi_thresholds=deployed['thresholds'],
                       network=str(deployed['network'].name))
    if techniques is not None:
        summary['techniques'] = {**techniques,
                                 'rows': [asdict(row) for row in techniques['rows']]}
    (out / 'conversion.json').write_text(json.dumps(summary, indent=2))
    plot = _plot(out / 'accuracy_vs_steps.png', ann_accuracy, result,
                 None if deployed is None else deployed['accuracy'])
    rates = ', '.join(f'{r:.3f}' for r in result.layer_rates)
    table = '\n'.join(f'| {r["steps"]} | {"Loihi fixed point" if r["quantized"] else "float"} '
                      f'| {r["accuracy"]:.4f} | {r["spikes"]:.0f} | {r["synaptic_ops"]:.0f} | '
                      f'{r["energy_uj"]:.3g} | {r["latency_ms"]:.3g} |' for r in rows)
    deployment = ('Not deployed (biases, or --deploy off).' if deployed is None else
                  f'Deployed as {deployed["network"].name} (NetX HDF5; '
                  f'{settings["weight_bits"]}-bit weights with '
                  f'{"a per-layer" if settings["exponent"] == "layer" else "one"} exponent, '
                  f'layer thresholds {", ".join(f"{t:.1f}" for t in deployed["thresholds"])}, '
                  f'reset to zero, rate-coded spike input): torch and Lava spike agreement '
                  f'{deployed["spike_agreement"]:.6f}.')
    (out / 'report.md').write_text(f'''# ANN -> SNN conversion

Data: {settings['data']}; thresholds balanced by {settings['method']}; reset by
{settings['reset']}; input {settings['coding']}; initial voltage
{settings['initial_voltage']} of the threshold. ANN test accuracy **{ann_accuracy:.4f}**.
Fewest steps within 1 point of the ANN: {summary['steps_to']['ann_minus_1_point']}; within
0.1 point: {summary['steps_to']['ann_minus_0.1_point']}.

![accuracy against time steps]({plot.name})

| steps | network | accuracy | spikes / image | synaptic ops / image | Loihi uJ / image (ESTIMATE) \
| Loihi ms / image (ESTIMATE) |
|---|---|---|---|---|---|---|
{table}

{deployment} The fixed-point rows' spikes and operations are counted on the Loihi build
itself (its first 100 test images; the input spikes included).

Energy is a MODEL ESTIMATE, not a measurement: {summary['energy_model']}. Latency is the
steps times {LOIHI_STEP_S * 1e6:.1f} us, Intel's measured time per step of a converted MNIST
net on Loihi (../shared/REFERENCES.md H3): an estimate too.
Mean spikes per neuron per step, by spiking layer: {rates}.
{_techniques_section(techniques)}''')
    return summary


def _techniques_section(techniques: dict | None) -> str:
    if techniques is None:
        return ''
    def cell(value) -> str:
        return '-' if value is None else f'{value:g}' if isinstance(value, float) else str(value)
    rows = '\n'.join(
        f'| {r.technique} | {r.setting} | {r.network} | {cell(r.steps_to_target)} | '
        f'{r.steps:.1f} | {r.accuracy:.4f} | {r.final_accuracy:.4f} | {r.synaptic_ops:.4g} | '
        f'{r.energy_uj:.4g} | {r.latency_ms:.3g} |' for r in techniques['rows'])
    best = '; '.join(f'{network}: ' + ', '.join(f'{k}={v}' for k, v in techniques[key].items())
                     for network, key in (('float SNN', 'best_float'),
                                          ('Loihi build', 'best_loihi')) if key in techniques)
    return f'''
## Deployment techniques, one at a time from the baseline

Baseline: {', '.join(f'{k}={v}' for k, v in techniques['baseline'].items())}. Each row
switches one technique; the float rows run the float SNN, the Loihi rows the fixed-point build
(the early decision streamed image by image, as the node runs it, on the first test images).
"Steps to ANN-1" is the fewest steps within 1 point of the ANN; the figures after it are at
those steps (or at the sweep's end when never reached; for the early decision, its mean
steps). Energy and latency are MODEL ESTIMATES (Loihi, operations only; steps x
{LOIHI_STEP_S * 1e6:.1f} us).

| technique | setting | network | steps to ANN-1 | steps | accuracy | accuracy at the end \
| synaptic ops / image | Loihi uJ (ESTIMATE) | Loihi ms (ESTIMATE) |
|---|---|---|---|---|---|---|---|---|---|
{rows}

Best combinations: {best}.
'''


def _plot(path: Path, ann_accuracy: float, result: SpikingResult,
          deployed: np.ndarray | None) -> Path:
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    steps = np.arange(1, result.accuracy.size + 1)
    fig, (accuracy, ops) = plt.subplots(1, 2, figsize=(9, 3.5))
    accuracy.plot(steps, result.accuracy, label='converted SNN (float)')
    if deployed is not None:
        accuracy.plot(np.arange(1, deployed.size + 1), deployed, label='Loihi fixed point')
    accuracy.axhline(ann_accuracy, color='k', linestyle='--', label='ANN')
    accuracy.set(xscale='log', xlabel='time steps', ylabel='test accuracy', ylim=(0, 1),
                 title='accuracy')
    accuracy.legend()
    ops.plot(steps, result.synaptic_ops_per_sample)
    ops.set(xscale='log', yscale='log', xlabel='time steps', ylabel='per image',
            title='synaptic operations')
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def write_live_report(metrics: dict, out: Path) -> Path:
    """``evaluate --pipeline conversion``'s report.md: each run's accuracy, steps, latency and
    estimated energy, a plot against time steps with the ANN beside, and the Loihi / NCS2
    ratios next to the seed's."""
    runs = metrics['runs']
    def costs(m: dict) -> str:
        if 'energy_uj' not in m:
            return '- | -'
        return f'{m.get("synaptic_ops", 0) or m.get("macs", 0):.4g} | {m["energy_uj"]:.4g}'
    rows = '\n'.join(
        f'| {name} | {m["accuracy"]:.4f} | {m["steps"]:.1f} | {m["latency_ms"]["p50"]:.2f} | '
        f'{m["latency_ms"]["p99"]:.2f} | {costs(m)} |' for name, m in runs.items())
    models = '\n'.join(f'- {name}: {m["energy_model"]}' for name, m in runs.items()
                       if 'energy_model' in m)
    comparison = ''
    if 'loihi_against_ncs2' in metrics:
        c = metrics['loihi_against_ncs2']
        comparison = f"""
## Loihi against an NCS2 at {c['steps']} steps (MODEL ESTIMATES, not measurements)

| | energy / image (uJ) | time / image (ms) | power (W) |
|---|---|---|---|
{_side('converted SNN on Loihi', c['loihi'])}
{_side('its ANN on an NCS2', c['ncs2'])}

Loihi uses **{c['power_ratio']:.3g}x less power** and **{c['energy_ratio']:.3g}x less energy**
by these models; the seed reports up to {c['seed_ratios']['power']:g}x and
{c['seed_ratios']['energy']:g}x, measured.

- Loihi: {c['loihi']['model']}
- NCS2: {c['ncs2']['model']}
"""
    plot = _live_plot(out / 'accuracy_energy_vs_steps.png', runs)
    path = out / 'report.md'
    path.write_text(f"""# Converted classifier, live

{metrics['images']} labelled images of {metrics['bag']} replayed one at a time through
`image_classifier_node` ({metrics['model']}); latency is from the image going out to its
classification arriving, over real DDS in one process.

![accuracy and energy against time steps]({plot.name})

| run | accuracy | steps / image | latency p50 (ms) | p99 (ms) | synaptic ops or MACs / image \
| uJ / image (ESTIMATE) |
|---|---|---|---|---|---|---|
{rows}

Energy is a MODEL ESTIMATE, not a measurement (Loihi's here: the operations only; the
comparison below adds its idle power over the image's time):
{models}
{comparison}""")
    return path


def _side(name: str, figures: dict) -> str:
    return (f'| {name} | {figures["energy_uj"]:.4g} | {figures["seconds"] * 1e3:.3g} | '
            f'{figures["watts"]:.3g} |')


def _live_plot(path: Path, runs: dict) -> Path:
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    snn = sorted((m['steps'], m) for name, m in runs.items()
                 if name.startswith('snn') and 'early' not in name)
    fig, (accuracy, energy) = plt.subplots(1, 2, figsize=(9, 3.5))
    accuracy.plot([t for t, _ in snn], [m['accuracy'] for _, m in snn], 'o-',
                  label='converted SNN (live)')
    energy.plot([t for t, _ in snn], [m.get('energy_uj', np.nan) for _, m in snn], 'o-',
                label='SNN on Loihi (estimate)')
    if 'ann' in runs:
        accuracy.axhline(runs['ann']['accuracy'], color='k', linestyle='--', label='ANN')
        if 'energy_uj' in runs['ann']:
            energy.axhline(runs['ann']['energy_uj'], color='k', linestyle='--',
                           label='ANN on NCS2 (estimate)')
    accuracy.set(xlabel='time steps per image', ylabel='accuracy', ylim=(0, 1.02),
                 title='accuracy')
    energy.set(xlabel='time steps per image', ylabel='uJ per image', yscale='log',
               title='estimated energy')
    accuracy.legend()
    energy.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
