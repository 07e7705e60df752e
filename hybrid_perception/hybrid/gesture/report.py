"""``report.md`` and its plots from an evaluation's metrics: what people would rather look at."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from hybrid_perception.hybrid.plots import Point, labelled_scatter

__all__ = ['write_report']


def write_report(metrics: dict[str, Any], latencies: dict[str, dict[str, list[float]]],
                 out: Path) -> Path:
    """Plots beside ``report.md`` in ``out``; ``latencies`` are seconds per model and stage."""
    import matplotlib
    matplotlib.use('Agg')
    models = metrics['models']
    _confusion_plot(models, metrics['classes'], out / 'confusion.png')
    _latency_plot(latencies, out / 'latency.png')
    _accuracy_energy_plot(models, out / 'accuracy_energy.png')
    lines = [
        f'# H1 gesture evaluation: {metrics["bag"]}', '',
        f'{metrics["gestures"]} gestures replayed through the live ROS 2 graph '
        f'(`snn_node` -> `accumulator_node` -> `ann_node`) at {metrics["rate"]}x real time. '
        'Latency is measured (wall clock, this machine, one process); energy and power are '
        '**model estimates** (coefficients and sources below), not measurements.', '',
        '| model | spec | accuracy | end-to-end p50 / p99 ms | SNN ms | accumulator ms | ANN ms '
        '| SynOps / inference | MACs / inference | energy / inference (mJ, est.) '
        '| power (mW, est.) |',
        '|---|---|---|---|---|---|---|---|---|---|---|',
    ]
    for name, m in models.items():
        stages = m['stage_latency_ms']
        lines.append(
            f'| {name} | {m["spec"]} I={m["interval"]} | {m["accuracy"]:.3f} | '
            f'{m["latency_ms"]["p50"]:.2f} / {m["latency_ms"]["p99"]:.2f} | '
            + ' | '.join(f'{stages[s]["p50"]:.2f}' for s in ('snn', 'accumulator', 'ann'))
            + f' | {m["synaptic_ops_per_inference"]:.3g} | {m["macs_per_inference"]:.3g} | '
              f'{m["energy_mj_per_inference"]:.3g} | {m["power_mw"]:.3g} |')
    if any(m['between_gestures']['decisions'] for m in models.values()):
        lines += ['', 'Between the labelled gestures (the decisions whose window touches no '
                  'span): ' + ', '.join(f'{name} says none on '
                                        f'{m["between_gestures"]["none"]:.1%} of '
                                        f'{m["between_gestures"]["decisions"]}'
                                        for name, m in models.items()) + '.']
    lines += ['', '![accuracy against estimated energy](accuracy_energy.png)', '',
              '![latency per stage](latency.png)', '', '![confusion matrices](confusion.png)',
              '', '## Energy models (estimates)', '']
    for name, m in models.items():
        for part, e in m['energy_estimates'].items():
            lines.append(f'- {name}, {part}: {e["text"]}')
    lines += _energy_split(models)
    lines += ['', f'Stage latency is measured from the events packet that completed each '
              f'window (the stream has to pass a window\'s end before it can close: up to one '
              f'packet period, {metrics["packet_period_us"]} µs, is inherent).', '']
    report = out / 'report.md'
    report.write_text('\n'.join(lines))
    return report


def _energy_split(models: dict[str, Any]) -> list[str]:
    """Where each model's estimated energy goes, and what the hybrid's spiking head would have
    to cost per synaptic operation to beat the ANN layers it replaces."""
    lines = ['', '## Where the energy goes (estimates, µJ per inference)', '']
    for name, m in models.items():
        parts = '; '.join(f'{part}: ' + ', '.join(f'{layer} {uj:.3g}' for layer, uj in
                                                  layers.items())
                          for part, layers in m.get('energy_uj_per_layer', {}).items())
        lines.append(f'- {name} ({m["spec"]}): {parts}')
    ann, hybrid = models.get('ann'), models.get('hybrid')
    if not (ann and hybrid and 'snn' in hybrid['energy_estimates']):
        return lines
    tail = hybrid['energy_estimates'].get('ann', {}).get('mj', 0.0)
    replaced_uj = (ann['energy_mj_per_inference'] - tail) * 1e3
    head = hybrid['energy_estimates']['snn']
    synops = hybrid['synaptic_ops_per_inference']
    synop_pj = head['coefficients']['synaptic_op pJ']
    rest_uj = head['mj'] * 1e3 - synops * synop_pj * 1e-6
    verdict = (f'it breaks even at {(replaced_uj - rest_uj) / synops * 1e6:.3g} pJ per synaptic '
               f'operation (the model prices {synop_pj:g})' if replaced_uj > rest_uj else
               'its neuron updates and spikes alone cost more, at any synaptic-op energy')
    lines += ['', f'The hybrid\'s spiking head costs {head["mj"] * 1e3:.3g} µJ '
              f'({synops:.3g} synaptic ops, {rest_uj:.3g} µJ in neuron updates and spikes) where '
              f'the ANN layers it replaces cost {replaced_uj:.3g} µJ: {verdict}.']
    return lines


def _confusion_plot(models: dict[str, Any], classes: list[str], path: Path) -> None:
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, len(models), figsize=(5.5 * len(models), 5.2), squeeze=False)
    for ax, (name, m) in zip(axes[0], models.items(), strict=True):
        matrix = np.asarray(m['confusion'])
        ax.imshow(matrix, cmap='Blues')
        for (i, j), n in np.ndenumerate(matrix):
            if n:
                ax.text(j, i, str(n), ha='center', va='center', fontsize=7)
        ax.set_title(f'{name} ({m["spec"]}): accuracy {m["accuracy"]:.3f}')
        ax.set_xticks(range(len(classes)), classes, rotation=90, fontsize=7)
        ax.set_yticks(range(len(classes)), classes, fontsize=7)
        ax.set_xlabel('predicted')
        ax.set_ylabel('true')
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _latency_plot(latencies: dict[str, dict[str, list[float]]], path: Path) -> None:
    import matplotlib.pyplot as plt
    stages = ('end_to_end', 'snn', 'accumulator', 'ann')
    fig, axes = plt.subplots(1, len(stages), figsize=(14, 3.8))
    for ax, stage in zip(axes, stages, strict=True):
        names = [n for n in latencies if latencies[n][stage]]
        ax.boxplot([np.asarray(latencies[n][stage]) * 1e3 for n in names], whis=(1, 99),
                   showfliers=False)
        ax.set_xticks(range(1, len(names) + 1), names)
        ax.set_title(stage.replace('_', ' '))
        ax.set_ylabel('ms (box: quartiles, whiskers: p1-p99)')
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _accuracy_energy_plot(models: dict[str, Any], path: Path) -> None:
    labelled_scatter((Point(f'{name} ({m["spec"]})', m['energy_mj_per_inference'],
                            m['accuracy']) for name, m in models.items()),
                     path, xlabel='energy per inference, mJ (ESTIMATE: Loihi per-op + Jetson '
                                  'board model)', ylabel='accuracy')
