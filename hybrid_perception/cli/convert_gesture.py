"""``hybrid-perception convert gesture/ann``: H1's all-ANN gesture model converted into an SNN
and set against the trained all-SNN model and the hybrid on the same test clips.

The all-ANN model decides on each interval's event counts; its converted SNN reads the
interval's own event spikes (I steps, played over and over for the chosen time steps: the
rates it sees are the counts / I), so its first layer's weights are multiplied by I. Each
model is scored per decision (every scored interval of every test clip), with its synaptic
operations and estimated energy per decision. Heavy imports happen inside the function.
"""

from __future__ import annotations

import argparse
import json

__all__ = ['convert_gesture']


def convert_gesture(args: argparse.Namespace) -> int:
    from dataclasses import replace

    import numpy as np
    import torch
    from tqdm import tqdm

    from hybrid_perception.errors import HybridPerceptionError
    from hybrid_perception.hybrid.conversion.evaluation import (
        ann_accuracy,
        interval_samples,
        run_spiking,
    )
    from hybrid_perception.hybrid.conversion.model import linear_chain
    from hybrid_perception.hybrid.conversion.normalization import activation_scales, normalize
    from hybrid_perception.hybrid.conversion.report import write_report
    from hybrid_perception.hybrid.gesture.bundle import load_bundle
    from hybrid_perception.hybrid.gesture.evaluation import count_head_ops, inference_costs
    from hybrid_perception.hybrid.gesture.training import GestureTraining

    bundle = load_bundle(args.model)
    spec = bundle.spec
    if spec.kind != 'ann':
        raise HybridPerceptionError(f'{args.model} is the {spec.kind} model {spec.name}: '
                                    'convert takes the all-ANN one (gesture/ann)')
    settings = GestureTraining()
    first = replace(settings.objective(spec), context_steps=0).first_scored
    clips, labels, _ = settings.clips.generate('test', args.gesture_takes, settings.seed,
                                               last_subjects=args.gesture_subjects,
                                               progress=True)
    calibration, calibration_labels, _ = settings.clips.generate(
        'train', 1, settings.seed, last_subjects=min(3, args.gesture_subjects or 3),
        progress=True)
    spikes, rates, truth = interval_samples(clips, labels, spec.interval, first)
    _, calibration_rates, _ = interval_samples(calibration, calibration_labels, spec.interval,
                                               first)
    chain = linear_chain(bundle.model().ann, spec.feature_shape)
    chain[0] = replace(chain[0], weight=chain[0].weight * spec.interval)   # reads counts / I
    if args.bias == 'drop':
        chain = [replace(layer, bias=np.zeros_like(layer.bias)) for layer in chain]
    scales = activation_scales(chain, calibration_rates, args.method)
    converted = normalize(chain, scales)
    ann = ann_accuracy(chain, rates, truth)
    print(f'{bundle.path}: {len(chain)} layers to convert; {len(truth)} decisions '
          f'({len(labels)} test clips x {len(truth) // len(labels)} scored intervals); ANN '
          f'{ann:.4f} per decision, biases {args.bias}')
    steps = max(args.steps)
    coding = args.coding or 'events'
    with tqdm(total=len(truth), desc=f'SNN, {steps} steps', unit='decision') as bar:
        result = run_spiking(converted, rates, truth, steps, reset=args.reset, coding=coding,
                             initial_voltage=args.initial_voltage, progress=bar,
                             events=spikes if coding == 'events' else None)
    settings_out = {'method': args.method, 'reset': args.reset, 'coding': coding,
                    'initial_voltage': args.initial_voltage, 'bias': args.bias,
                    'data': 'synthetic gesture test clips', 'scales': scales,
                    'interval': spec.interval}
    summary = write_report(args.out, ann, result, sorted(set(args.steps)), settings_out, chain)
    baselines = {}
    for name in ('gesture/snn', 'gesture/hybrid'):
        trained = load_bundle(name)
        with torch.no_grad():
            logits = trained.model()((torch.from_numpy(clips) > 0).float())[:, first:]
        accuracy = float((logits.argmax(-1).numpy() == labels[:, None]).mean())
        costs = inference_costs(trained, count_head_ops(trained, clips))
        baselines[name] = {'accuracy': accuracy, 'steps': trained.spec.interval,
                           'synaptic_ops': float(costs['snn'][0].synaptic_op),
                           'energy_uj': sum(e.joules for _, e in costs.values()) * 1e6,
                           'energy_model': '; '.join(str(e) for _, e in costs.values())}
    summary['baselines'] = baselines
    (args.out / 'conversion.json').write_text(json.dumps(summary, indent=2))
    lines = [f'| converted ANN (float SNN) | {row["accuracy"]:.4f} | {row["steps"]} | '
             f'{row["synaptic_ops"]:.4g} | {row["energy_uj"]:.4g} |' for row in summary['snn']]
    lines += [f'| {name} (trained) | {b["accuracy"]:.4f} | {b["steps"]} | '
              f'{b["synaptic_ops"]:.4g} | {b["energy_uj"]:.4g} |' for name, b in baselines.items()]
    with (args.out / 'report.md').open('a') as report:
        report.write(f'''
## Against the trained SNN and the hybrid (per decision, the same {len(truth)} decisions)

The all-ANN model scores {ann:.4f}. Steps are SNN time steps per decision (the trained models
decide every interval of {spec.interval} steps). Energy: Loihi for the SNNs, plus the Jetson
for the hybrid's ANN tail (MODEL ESTIMATES).

| model | accuracy | steps / decision | synaptic ops / decision | uJ / decision (ESTIMATE) |
|---|---|---|---|---|
''' + '\n'.join(lines) + '\n')
    for row in summary['snn']:
        print(f'  {row["steps"]:5d} steps: accuracy {row["accuracy"]:.4f}, '
              f'{row["synaptic_ops"]:.4g} synaptic ops, {row["energy_uj"]:.4g} uJ per decision '
              f'(Loihi ESTIMATE)')
    for name, b in baselines.items():
        print(f'  {name} (trained, {b["steps"]} steps): accuracy {b["accuracy"]:.4f}, '
              f'{b["synaptic_ops"]:.4g} synaptic ops, {b["energy_uj"]:.4g} uJ per decision '
              '(ESTIMATE)')
    print(f'wrote {args.out / "conversion.json"} and {args.out / "report.md"}')
    print(json.dumps({'ann': summary['ann'], 'snn': [
        {k: row[k] for k in ('steps', 'accuracy')} for row in summary['snn']],
        'baselines': {n: b['accuracy'] for n, b in baselines.items()}}))
    return 0
