"""What ``convert`` writes: ``conversion.json`` (the figures) and ``report.md`` with a plot of
accuracy and synaptic operations against time steps, energy labelled as the estimate it is."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from hybrid_perception.hybrid.conversion.evaluation import SpikingResult
from hybrid_perception.hybrid.conversion.model import LinearLayer
from hybrid_perception.networks.energy.models import EnergyModel
from hybrid_perception.networks.energy.operations import OpCounts

__all__ = ['write_report', 'loihi_energy']


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
                 deployed: dict | None = None) -> dict:
    """``deployed``: the Loihi build's accuracy by step, its threshold, its spike agreement
    (torch vs Lava) and its file; its rows reuse the float run's operation counts."""
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for quantized in (False, True) if deployed is not None else (False,):
        accuracy = deployed['accuracy'] if quantized else result.accuracy
        for t in steps:
            energy = loihi_energy(result, chain, t)
            rows.append({'steps': t, 'quantized': quantized, 'accuracy': float(accuracy[t - 1]),
                         'spikes': float(result.spikes_per_sample[t - 1]),
                         'synaptic_ops': float(result.synaptic_ops_per_sample[t - 1]),
                         'energy_uj': energy.joules * 1e6})
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
                       loihi_threshold=deployed['threshold'],
                       network=str(deployed['network'].name))
    (out / 'conversion.json').write_text(json.dumps(summary, indent=2))
    plot = _plot(out / 'accuracy_vs_steps.png', ann_accuracy, result,
                 None if deployed is None else deployed['accuracy'])
    rates = ', '.join(f'{r:.3f}' for r in result.layer_rates)
    table = '\n'.join(f'| {r["steps"]} | {"Loihi fixed point" if r["quantized"] else "float"} '
                      f'| {r["accuracy"]:.4f} | {r["spikes"]:.0f} | {r["synaptic_ops"]:.0f} | '
                      f'{r["energy_uj"]:.3g} |' for r in rows)
    deployment = ('Not deployed (biases, or --deploy off).' if deployed is None else
                  f'Deployed as {deployed["network"].name} (NetX HDF5; 8-bit weights, one '
                  f'threshold {deployed["threshold"]:.3f}, reset to zero, rate-coded spike '
                  f'input): torch and Lava spike agreement {deployed["spike_agreement"]:.6f}.')
    (out / 'report.md').write_text(f'''# ANN -> SNN conversion

Data: {settings['data']}; thresholds balanced by {settings['method']}; reset by
{settings['reset']}; input {settings['coding']}; initial voltage
{settings['initial_voltage']} of the threshold. ANN test accuracy **{ann_accuracy:.4f}**.
Fewest steps within 1 point of the ANN: {summary['steps_to']['ann_minus_1_point']}; within
0.1 point: {summary['steps_to']['ann_minus_0.1_point']}.

![accuracy against time steps]({plot.name})

| steps | network | accuracy | spikes / image | synaptic ops / image | Loihi uJ / image (ESTIMATE) |
|---|---|---|---|---|---|
{table}

{deployment} Spikes and operations are the float network's, for both rows.

Energy is a MODEL ESTIMATE, not a measurement: {summary['energy_model']}.
Mean spikes per neuron per step, by spiking layer: {rates}.
''')
    return summary


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
