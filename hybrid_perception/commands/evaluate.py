"""``hybrid-perception dataset gesture|pose`` and ``evaluate --pipeline gesture``.

Heavy imports happen inside the functions, so ``--help`` stays instant.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

__all__ = ['add_commands']

DEFAULT_MODELS = ('hybrid=gesture/hybrid', 'ann=gesture/ann', 'snn=gesture/snn')


def add_commands(sub: argparse._SubParsersAction) -> None:
    dataset = sub.add_parser('dataset', help='write an evaluation bag with ground truth')
    dataset.add_argument('task', choices=['gesture', 'pose'])
    dataset.add_argument('--out', required=True, help='bag to create (MCAP)')
    dataset.add_argument('--samples', type=int, default=None,
                         help='takes, round robin over the test subjects and classes: gesture '
                              '6 x 11 (default 66), pose 5 people x 8 movements (default 16)')
    dataset.add_argument('--take-seconds', type=float, default=2.0,
                         help='pose: length of each take (default 2.0)')
    dataset.add_argument('--seed', type=int, default=0)
    dataset.set_defaults(func=_dataset)

    evaluate = sub.add_parser(
        'evaluate', help='replay a bag through the live graph and score it',
        description='Replay a bag with ground truth through the live ROS 2 graph once per '
                    'model, and write DIR/metrics.json and DIR/report.md with plots. gesture: '
                    'snn_node -> accumulator_node -> ann_node on a `dataset gesture` bag; '
                    'pose: per camera state_initializer_node / pose_snn_node, then '
                    'skeleton_node, on a `dataset pose` bag, for the hybrid, the ANN at the '
                    'SNN rate and the SNN alone.')
    evaluate.add_argument('--pipeline', choices=['gesture', 'pose'], default='gesture')
    evaluate.add_argument('--bag', required=True, help='bag with events and ground truth')
    evaluate.add_argument('--out', required=True, help='folder for metrics.json, report.md')
    evaluate.add_argument('--model', action='append', default=None, metavar='MODEL',
                          help='gesture: NAME=PATH (repeatable; default: '
                               f'{" ".join(DEFAULT_MODELS)}); pose: a pose model folder, one '
                               'per SNN rate (repeatable; default: the shipped pose)')
    evaluate.add_argument('--rate', type=float, default=None,
                          help='replay speed, 1.0 real time; latency is only meaningful when '
                               'the graph keeps up (default: gesture 1.0; pose 25 / the '
                               'fastest SNN rate, 0.25 at 100 Hz, as two cameras of SNN steps '
                               'on the torch runtime need more than one Python process here '
                               'can give in real time)')
    evaluate.add_argument('--packet-us', type=int, default=5000,
                          help='events packet period of the replay, µs (default 5000: one '
                               'Python process hosts the whole graph here)')
    evaluate.add_argument('--snn-backend', choices=['torch', 'lava'], default='torch')
    evaluate.add_argument('--ann-backend', choices=['onnxruntime', 'torch'],
                          default='onnxruntime')
    evaluate.add_argument('--events-topic', default=None,
                          help='PointCloud2 topic in the bag (default: the first)')
    evaluate.add_argument('--labels-topic', default='/ground_truth')
    evaluate.set_defaults(func=_evaluate)


def _dataset(args: argparse.Namespace) -> int:
    if args.task == 'pose':
        return _pose_dataset(args)
    from hybrid_perception.datasets.gesture_bag import write_gesture_bag
    samples = 66 if args.samples is None else args.samples
    spans = write_gesture_bag(args.out, samples=samples, seed=args.seed, progress=True)
    seconds = (spans[-1].end_us - spans[0].start_us) * 1e-6 if spans else 0
    print(f'wrote {len(spans)} gestures ({seconds:.1f} s of events, ground truth on '
          f'/ground_truth) to {args.out}')
    return 0


def _pose_dataset(args: argparse.Namespace) -> int:
    from hybrid_perception.datasets.pose_bag import write_pose_bag
    if args.take_seconds <= 0:
        raise ValueError(f'--take-seconds must be positive, got {args.take_seconds}')
    samples = 16 if args.samples is None else args.samples
    labels = write_pose_bag(args.out, samples=samples, seed=args.seed,
                            take_us=round(args.take_seconds * 1e6), progress=True)
    print(f'wrote {samples} takes ({samples * args.take_seconds:.1f} s, 2 cameras, {labels} '
          f'labelled poses on /ground_truth/joints and /<camera>/ground_truth/joints) to '
          f'{args.out}')
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    if args.pipeline == 'pose':
        from hybrid_perception.commands.evaluate_pose import evaluate_pose
        return evaluate_pose(args)
    args.rate = 1.0 if args.rate is None else args.rate
    from hybrid_perception.datasets.gesture_bag import read_gesture_labels
    from hybrid_perception.errors import HybridPerceptionError
    from hybrid_perception.events.array import concatenate
    from hybrid_perception.hybrid.gesture.bundle import load_bundle
    from hybrid_perception.hybrid.gesture.report import write_report
    from hybrid_perception.io.rosbag import EventBagReader
    from hybrid_perception.io.sources import packetize

    spans = read_gesture_labels(args.bag, args.labels_topic)
    reader = EventBagReader(args.bag, topic=args.events_topic)
    try:
        events = concatenate(list(reader))
    finally:
        reader.close()
    packet_us = args.packet_us
    packets = list(packetize([events], packet_us))
    models = {}
    for entry in args.model or DEFAULT_MODELS:
        name, sep, path = entry.partition('=')
        if not sep:
            raise HybridPerceptionError(f'--model {entry!r} must look like NAME=PATH')
        models[name] = load_bundle(path)
    print(f'{args.bag}: {len(spans)} gestures, {events.size} events in {len(packets)} packets; '
          f'models: {", ".join(f"{n} ({b.spec.name})" for n, b in models.items())}')
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    results, latencies = {}, {}
    for name, bundle in models.items():
        run, ops = _live_run(name, bundle, packets, args)
        results[name], latencies[name] = _model_metrics(bundle, run, ops, spans)
        m = results[name]
        print(f'  {name}: accuracy {m["accuracy"]:.3f} over {m["gestures"]} gestures, '
              f'latency p50 {m["latency_ms"]["p50"]:.2f} ms, p99 {m["latency_ms"]["p99"]:.2f} '
              f'ms, {m["energy_mj_per_inference"] * 1e3:.3g} uJ/inference (estimate)')
    classes = list(next(iter(models.values())).spec.classes)
    metrics = {'bag': str(args.bag), 'gestures': len(spans), 'rate': args.rate,
               'packet_period_us': packet_us, 'classes': classes, 'models': results}
    (out / 'metrics.json').write_text(json.dumps(metrics, indent=1))
    report = write_report(metrics, latencies, out)
    print(f'metrics: {out / "metrics.json"}')
    print(f'report: {report}')
    return 0


def _live_run(name, bundle, packets, args):
    """One replay through a fresh graph of the model's nodes, in namespace /<name>."""
    from hybrid_perception.ros.tools.live_evaluation import Replayer, live_graph, play

    path = str(bundle.path)
    graph = {'snn_node': {'model': path, 'backend': args.snn_backend, 'reliability': 'reliable'},
             'accumulator_node': {'model': path},
             'ann_node': {'model': path, 'backend': args.ann_backend}}
    window_us = bundle.binning.bin_us * bundle.spec.interval
    expected = (packets[-1][0] // window_us) - (packets[0][0] // window_us) if packets else 0
    with live_graph(graph, f'/{name}') as (context, executor, nodes):
        replayer = Replayer(packets, window_us, rate=args.rate, period_s=args.packet_us * 1e-6,
                            namespace=f'/{name}', context=context)
        nodes.append(replayer)
        decided = replayer.run.arrived_s['classification']
        play(executor, replayer, 1, f'replaying for {name}')
        last, seen = time.monotonic(), len(decided)
        while len(decided) < expected and time.monotonic() - last < 5.0:
            executor.spin_once(timeout_sec=0.01)
            if len(decided) != seen:
                last, seen = time.monotonic(), len(decided)
        snn_node = next(n for n in nodes if n.get_name() == 'snn_node')
        return replayer.run, snn_node.stage.ops_per_window()


def _model_metrics(bundle, run, ops, spans):
    import numpy as np

    from hybrid_perception.hybrid.gesture.evaluation import (
        confusion_matrix,
        inference_costs,
        latency_summary,
        score_gestures,
    )
    from hybrid_perception.networks.energy import EnergyModel
    binning, spec = bundle.binning, bundle.spec
    truth, predicted = score_gestures(run.decisions, spans, binning.warmup_steps * binning.bin_us)
    latencies = run.latencies()
    costs = inference_costs(bundle, ops)
    joules = sum(e.joules for _, e in costs.values())
    interval_s = spec.interval * binning.bin_us * 1e-6
    metrics = {
        'spec': spec.name, 'kind': spec.kind, 'interval': spec.interval,
        'model_path': str(bundle.path),
        'accuracy': float(np.mean(truth == predicted)) if len(truth) else float('nan'),
        'gestures': int(len(truth)), 'decisions': len(run.decisions),
        'offline_test_accuracy': bundle.metrics.get('test_accuracy'),
        'latency_ms': latency_summary(latencies['end_to_end']),
        'stage_latency_ms': {s: latency_summary(latencies[s])
                             for s in ('snn', 'accumulator', 'ann')},
        'synaptic_ops_per_inference': float(ops.synaptic_op) if ops else 0.0,
        'neuron_updates_per_inference': float(ops.neuron_update_active
                                              + ops.neuron_update_inactive) if ops else 0.0,
        'macs_per_inference': float(costs['ann'][0].mac) if 'ann' in costs else 0.0,
        'energy_mj_per_inference': joules * 1e3,
        'power_mw': joules / interval_s * 1e3,
        'energy_is_estimate': True,
        'energy_estimates': {part: {'platform': e.platform, 'mj': e.joules * 1e3,
                                    'coefficients': e.coefficients, 'source': e.source,
                                    'text': str(e)} for part, (_, e) in costs.items()},
        'energy_uj_per_layer': {part: {layer: j * 1e6 for layer, j in
                                       EnergyModel(e.platform).per_layer(counts).items()}
                                for part, (counts, e) in costs.items()},
        'confusion': confusion_matrix(truth, predicted, len(spec.classes)).tolist(),
    }
    return metrics, latencies

