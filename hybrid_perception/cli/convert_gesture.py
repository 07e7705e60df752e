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
    scored = {}
    if args.deploy == 'auto' and not any(layer.bias.any() for layer in chain):
        deployed = _deploy(converted, bundle, result, ann, (clips, labels), args)
        deployed.update(_score(load_bundle(args.out), clips, labels, first))
        summary['deployed'] = scored['converted (Loihi build)'] = deployed
    elif args.deploy == 'auto':
        print('not deployed: the network has biases, which SLAYER/NetX blocks do not carry '
              '(train gesture --spiking 0 --no-baselines --bias off trains an all-ANN model '
              'without them)')
    summary['baselines'] = {name: _score(load_bundle(name), clips, labels, first)
                            for name in ('gesture/snn', 'gesture/hybrid')}
    scored.update({f'{name} (trained)': b for name, b in summary['baselines'].items()})
    (args.out / 'conversion.json').write_text(json.dumps(summary, indent=2))
    lines = [f'| converted ANN (float SNN) | {row["accuracy"]:.4f} | {row["steps"]} | '
             f'{row["synaptic_ops"]:.4g} | {row["energy_uj"]:.4g} |' for row in summary['snn']]
    lines += [f'| {name} | {b["accuracy"]:.4f} | {b["steps"]} | '
              f'{b["synaptic_ops"]:.4g} | {b["energy_uj"]:.4g} |' for name, b in scored.items()]
    with (args.out / 'report.md').open('a') as report:
        report.write(f'''
## Against the trained SNN and the hybrid (per decision, the same {len(truth)} decisions)

The all-ANN model scores {ann:.4f}. Steps are SNN time steps per decision (the trained models
decide every interval of {spec.interval} steps; the Loihi build plays each interval's bins over
and over from rest, then runs on in silence until its last spikes are out, as the gesture graph
runs it). Energy: Loihi for the SNNs, plus the Jetson for the hybrid's ANN tail (MODEL
ESTIMATES).

| model | accuracy | steps / decision | synaptic ops / decision | uJ / decision (ESTIMATE) |
|---|---|---|---|---|
''' + '\n'.join(lines) + '\n')
    for row in summary['snn']:
        print(f'  {row["steps"]:5d} steps: accuracy {row["accuracy"]:.4f}, '
              f'{row["synaptic_ops"]:.4g} synaptic ops, {row["energy_uj"]:.4g} uJ per decision '
              f'(Loihi ESTIMATE)')
    for name, b in scored.items():
        print(f'  {name}, {b["steps"]} steps: accuracy {b["accuracy"]:.4f}, '
              f'{b["synaptic_ops"]:.4g} synaptic ops, {b["energy_uj"]:.4g} uJ per decision '
              '(ESTIMATE)')
    if 'deployed' in summary:
        print(f'torch and Lava on the exported network: spike agreement '
              f'{summary["deployed"]["spike_agreement"]:.6f}')
        print(f'model folder {args.out} (the gesture graph\'s all-SNN model, '
              f'{summary["deployed"]["steps"]} steps per decision): '
              f'gesture.launch.py model:={args.out}')
    print(f'wrote {args.out / "conversion.json"} and {args.out / "report.md"}')
    print(json.dumps({'ann': summary['ann'], 'snn': [
        {k: row[k] for k in ('steps', 'accuracy')} for row in summary['snn']],
        'models': {n: b['accuracy'] for n, b in scored.items()}}))
    return 0


def _deploy(converted, bundle, result, ann: float, test, args: argparse.Namespace) -> dict:
    """The Loihi build as a gesture model folder in ``args.out`` (an all-SNN model the gesture
    graph runs): its steps per decision the fewest of --steps (whole intervals) where the
    float SNN is within 1 point of the ANN, else the most; scored clip by clip and as one
    stream as ``train gesture`` scores its models; streamed through torch and Lava."""
    from dataclasses import replace

    import numpy as np
    import torch

    from hybrid_perception.hybrid.conversion.loihi_build import deployable_network
    from hybrid_perception.hybrid.gesture.bundle import save_bundle
    from hybrid_perception.hybrid.gesture.model import (
        HybridClassifier,
        IntervalObjective,
        played_windows,
    )
    from hybrid_perception.networks.snn.compare import compare_runtimes
    from hybrid_perception.networks.training import evaluate

    spec = bundle.spec
    network = deployable_network(converted, args.weight_bits, args.exponent)
    good = [t for t in sorted(args.steps) if result.accuracy[t - 1] >= ann - 0.01]
    steps = args.default_steps or (good[0] if good else max(args.steps))
    repeats = max(1, round(steps / spec.interval))
    layers = network.spec.layers
    model = HybridClassifier(replace(spec, layers=layers, neuron=network.spec.neuron,
                                     spiking=len(layers), bias=False, repeats=repeats,
                                     from_rest=True))
    model.snn.load_state_dict(network.state_dict())
    objective = IntervalObjective(spec.interval, bundle.binning.warmup_steps)
    print(f'scoring the Loihi build at {repeats * spec.interval} steps per decision ...')
    accuracy = evaluate(model, objective, test)
    saved = save_bundle(model, args.out, bundle.binning, {
        # from rest, every window is its own inference: as one stream is clip by clip
        'test_accuracy': accuracy, 'stream_test_accuracy': accuracy,
        'converted_from': str(bundle.path), 'ann_test_accuracy': bundle.metrics.get(
            'test_accuracy'), 'ann_accuracy_per_decision': ann, 'method': args.method,
        'weight_bits': args.weight_bits, 'exponent': args.exponent})
    clip = torch.from_numpy(test[0][:1].astype(np.float32))
    windows = played_windows(clip, saved.spec).numpy()[:args.agreement_images]
    print(f'torch and Lava, {len(windows)} windows of {saved.spec.window_steps} steps ...')
    comparison = compare_runtimes(saved.snn_path, windows)
    return {'steps': repeats * spec.interval, 'repeats': repeats,
            'flush_steps': saved.spec.window_steps - repeats * spec.interval,
            'network': str(saved.snn_path),
            'test_accuracy': saved.metrics['test_accuracy'],
            'stream_test_accuracy': saved.metrics['stream_test_accuracy'],
            'thresholds': [layer.threshold for layer in layers],
            'spike_agreement': comparison.agreement}


def _score(bundle, clips, labels, first: int) -> dict:
    """A gesture model scored per decision on ``clips`` (each from rest, its intervals from
    ``first`` on), with its operations (the clips as one stream) and estimated energy."""
    import numpy as np
    import torch

    from hybrid_perception.hybrid.gesture.evaluation import count_head_ops, inference_costs

    model = bundle.model()
    with torch.no_grad():
        logits = torch.cat([model((torch.from_numpy(part) > 0).float())[:, first:]
                            for part in np.array_split(clips, max(1, len(clips) // 32))])
    costs = inference_costs(bundle, count_head_ops(bundle, clips))
    return {'accuracy': float((logits.argmax(-1).numpy() == labels[:, None]).mean()),
            'steps': bundle.spec.interval * bundle.spec.repeats,
            'synaptic_ops': float(costs['snn'][0].synaptic_op),
            'energy_uj': sum(e.joules for _, e in costs.values()) * 1e6,
            'energy_model': '; '.join(str(e) for _, e in costs.values())}
