"""``hybrid-perception evaluate --pipeline conversion``: a ``dataset digits`` bag replayed
through the live image_classifier_node at several time-step settings, and through the ANN the
model was converted from (onnxruntime) side by side; scored and written as metrics.json and
report.md with a plot."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

__all__ = ['evaluate_conversion']


def evaluate_conversion(args: argparse.Namespace) -> int:
    from hybrid_perception.datasets.image_bag import read_image_bag
    from hybrid_perception.errors import HybridPerceptionError
    from hybrid_perception.hybrid.conversion.bundle import load_converted
    from hybrid_perception.hybrid.conversion.evaluation import live_metrics, loihi_against_ncs2
    from hybrid_perception.hybrid.conversion.report import write_live_report
    from hybrid_perception.ros.tools.live_evaluation import replay_image_graph

    if args.model and len(args.model) > 1:
        raise HybridPerceptionError('--pipeline conversion evaluates one --model at a time')
    bundle = load_converted(args.model[0] if args.model else 'digits')
    images = read_image_bag(args.bag, args.image_topic, args.labels_topic)
    if args.samples is not None:
        images = images[:args.samples]
    if not images:
        raise HybridPerceptionError(f'{args.bag}: no labelled images on {args.image_topic}')
    steps = sorted(set(args.steps or [max(1, bundle.steps // 2), bundle.steps,
                                      bundle.steps * 2]))
    if min(steps) < 1:
        raise HybridPerceptionError('--steps must be positive')
    truth = {item.stamp_us: item.label for item in images}
    print(f'{args.bag}: {len(images)} labelled images; {bundle.path} at {steps} steps '
          f'({args.snn_backend}) and its ANN (onnxruntime)')
    runs = {'ann': ({'network': 'ann'}, 'ncs2')}
    for t in steps:
        runs[f'snn_{t}'] = ({'network': 'snn', 'steps': t, 'backend': args.snn_backend}, 'loihi')
    if args.early_margin:
        t = max(steps)
        runs[f'snn_{t}_early{args.early_margin}'] = (
            {'network': 'snn', 'steps': t, 'backend': args.snn_backend,
             'early_margin': args.early_margin}, 'loihi')
    results, ops = {}, {}
    for name, (parameters, platform) in runs.items():
        run = replay_image_graph(name, images, {'model': str(bundle.path), **parameters})
        ops[name] = run.ops_per_image
        results[name] = {**parameters, 'device': run.device, **live_metrics(
            run.answers, run.latency_s, truth, run.steps_per_image, run.ops_per_image,
            platform)}
        m = results[name]
        energy = f', {m["energy_uj"]:.4g} uJ/image on {platform} (ESTIMATE)' \
            if 'energy_uj' in m else ''
        print(f'  {name}: accuracy {m["accuracy"]:.4f}, {m["steps"]:.1f} steps, latency p50 '
              f'{m["latency_ms"]["p50"]:.2f} ms p99 {m["latency_ms"]["p99"]:.2f} ms{energy}')
    compared = bundle.steps if bundle.steps in steps else max(steps)
    default = f'snn_{compared}'
    metrics = {'bag': str(args.bag), 'model': str(bundle.path), 'images': len(images),
               'runs': results}
    if ops.get(default) is not None and ops['ann'] is not None:
        metrics['loihi_against_ncs2'] = {'steps': compared, **loihi_against_ncs2(
            ops[default], results[default]['steps'], ops['ann'])}
        c = metrics['loihi_against_ncs2']
        print(f'  Loihi against NCS2 at {compared} steps (ESTIMATES): '
              f'{c["power_ratio"]:.3g}x less power, {c["energy_ratio"]:.3g}x less energy '
              f'(seed: {c["seed_ratios"]["power"]:g}x and {c["seed_ratios"]["energy"]:g}x)')
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / 'metrics.json').write_text(json.dumps(metrics, indent=1))
    report = write_live_report(metrics, out)
    print(f'metrics: {out / "metrics.json"}')
    print(f'report: {report}')
    return 0
