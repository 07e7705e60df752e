"""``report.md`` of ``evaluate --pipeline pose`` and its plots: the error at each step of an
initialization window (the seed's figure) and the error against estimated power."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hybrid_perception.hybrid.plots import Point, labelled_scatter

__all__ = ['write_pose_report']

COLOURS = {'hybrid': 'tab:orange', 'ann': 'tab:blue', 'snn': 'tab:green'}


def write_pose_report(metrics: dict[str, Any], out: Path) -> Path:
    import matplotlib
    matplotlib.use('Agg')
    models = metrics['models']
    _error_by_step_plot(metrics['error_by_step_px'], out / 'error_by_step.png')
    _error_power_plot(models, out / 'error_power.png')
    lines = [
        f'# H2 pose evaluation: {metrics["bag"]}', '',
        f'The bag replayed through the live ROS 2 graph (per camera `state_initializer_node` '
        f'and/or `pose_snn_node`, then `skeleton_node`) at {metrics["rate"]}x real time, once '
        f'per model and rate. 2D errors are in sensor pixels over cameras '
        f'{", ".join(metrics["cameras"])}; 3D errors are of the live triangulated skeleton. '
        'Latency is measured (wall clock, this machine, one process); power is a **model '
        'estimate** (coefficients and sources below), not a measurement.', '',
        '| model | rate | 2D MPJPE px | 3D MPJPE mm | 2D latency p50 / p99 ms '
        '| 3D latency p50 ms | steps returned | power mW (est.) | energy mJ/s (est.) |',
        '|---|---|---|---|---|---|---|---|---|',
    ]
    for name, rates in models.items():
        for rate, m in rates.items():
            lines.append(
                f'| {name} | {rate} | {m["mpjpe_2d_px"]:.2f} | {m["mpjpe_3d_mm"]:.0f} | '
                f'{m["latency_ms"]["p50"]:.2f} / {m["latency_ms"]["p99"]:.2f} | '
                f'{m["latency_3d_ms"]["p50"]:.2f} | {m["steps_returned"]:.1%} | '
                f'{m["power_w"] * 1e3:.3g} | {m["energy_mj_per_s"]:.3g} |')
    lines += ['', _targets(models), '',
              '![error at each step of an initialization window](error_by_step.png)', '',
              '![error against estimated power](error_power.png)', '',
              '## Power models (estimates)', '']
    for name, rates in models.items():
        for rate, m in rates.items():
            lines += [f'- {name} {rate}: {line}' for line in m['estimate']]
    report = out / 'report.md'
    report.write_text('\n'.join(lines) + '\n')
    return report


def _targets(models: dict[str, Any]) -> str:
    """The seed's comparisons at each rate, in words."""
    parts = []
    for rate, hybrid in models['hybrid'].items():
        ann, snn = models['ann'][rate], models['snn'][rate]
        parts.append(
            f'At {rate} the hybrid\'s 2D error is '
            f'{hybrid["mpjpe_2d_px"] / ann["mpjpe_2d_px"] - 1:+.1%} against the ANN run at the '
            f'same rate (seed target: within 4 %) for {1 - hybrid["power_w"] / ann["power_w"]:.1%}'
            f' less estimated power (target >= 88 %), and '
            f'{1 - hybrid["mpjpe_2d_px"] / snn["mpjpe_2d_px"]:.1%} below the SNN alone '
            f'(target >= 74 %).')
    return ' '.join(parts)


def _error_by_step_plot(by_step: dict[str, list], path: Path) -> None:
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6.4, 4))
    for label, errors in by_step.items():
        model = label.split()[0]
        steps = [k + 1 for k, e in enumerate(errors) if e is not None]
        ax.plot(steps, [e for e in errors if e is not None], marker='o', label=label,
                color=COLOURS.get(model), linestyle='-' if label.endswith('100hz') else '--')
    ax.set_xlabel('step since the window\'s initialization')
    ax.set_ylabel('2D MPJPE (px)')
    ax.set_title('Error within an initialization window')
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _error_power_plot(models: dict[str, Any], path: Path) -> None:
    labelled_scatter((Point(f'{name} {rate}', m['power_w'] * 1e3, m['mpjpe_2d_px'],
                            COLOURS.get(name))
                      for name, rates in models.items() for rate, m in rates.items()),
                     path, xlabel='estimated power (mW, model estimate)',
                     ylabel='2D MPJPE (px)', title='Error against estimated power')
