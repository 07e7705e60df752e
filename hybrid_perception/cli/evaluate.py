"""``hybrid-perception evaluate``: a bag with ground truth replayed through the live ROS 2
graph once per model, scored, and written as metrics.json and report.md with plots; the H2
pipeline is in :mod:`~hybrid_perception.cli.evaluate_pose`."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

__all__ = ['add_parser']

DEFAULT_MODELS = ('hybrid=gesture/hybrid', 'ann=gesture/ann', 'snn=gesture/snn')


def add_parser(sub: argparse._SubParsersAction) -> None:
    from hybrid_perception.networks.snn import DEFAULT_SNN_BACKEND, SNN_BACKENDS
    parser = sub.add_parser(
        'evaluate', help='replay a bag through the live graph and score it',
        description='Replay a bag with ground truth through the live ROS 2 graph once per '
                    'model, and write DIR/metrics.json and DIR/report.md with plots. gesture: '
                    'snn_node -> accumulator_node -> ann_node on a `dataset gesture` bag; '
                    'pose: per camera state_initializer_node / pose_snn_node, then '
                    'skeleton_node, on a `dataset pose` bag, for the hybrid, the ANN at the '
                    'SNN rate and the SNN alone; conversion: image_classifier_node on a '
                    '`dataset digits` bag, the converted SNN at several --steps and its ANN.')
    parser.add_argument('--pipeline', choices=['gesture', 'pose', 'conversion'],
                        default='gesture')
    parser.add_argument('--bag', required=True, help='bag with events and ground truth')
    parser.add_argument('--out', required=True, help='folder for metrics.json, report.md')
    parser.add_argument('--model', action='append', default=None, metavar='MODEL',
                          help='gesture: NAME=PATH (repeatable; default: '
                               f'{" ".join(DEFAULT_MODELS)}); pose: a pose model folder, one '
                               'per SNN rate (repeatable; default: the shipped pose); '
                               'conversion: one converted model folder (default: digits)')
    parser.add_argument('--rate', type=float, default=None,
                          help='replay speed, 1.0 real time; latency is only meaningful when '
                               'the graph keeps up (default: gesture 1.0; pose 25 / the '
                               'fastest SNN rate, 0.25 at 100 Hz: the hybrid and the SNN alone '
                               'keep up at 1.0 in one process here, but the ANN baseline run '
                               'at the SNN\'s rate, two cameras of ONNX poses 100 times a '
                               'second, does not)')
    parser.add_argument('--packet-us', type=int, default=5000,
                          help='events packet period of the replay, µs (default 5000: one '
                               'Python process hosts the whole graph here)')
    parser.add_argument('--snn-backend', choices=SNN_BACKENDS, default=DEFAULT_SNN_BACKEND)
    parser.add_argument('--ann-backend', choices=['onnxruntime', 'torch'],
                          default='onnxruntime')
    parser.add_argument('--events-topic', default=None,
                          help='PointCloud2 topic in the bag (default: the first)')
    parser.add_argument('--labels-topic', default='/ground_truth')
    conversion = parser.add_argument_group('conversion')
    conversion.add_argument('--steps', type=int, nargs='+', default=None,
                            help='time steps per image to run the SNN at (default: half, '
                                 'once and twice the model\'s)')
    conversion.add_argument('--early-margin', type=int, default=0,
                            help='also run the most steps with an early decision at this '
                                 'output-spike lead (default 0: not run)')
    conversion.add_argument('--samples', type=int, default=None,
                            help='the first N images of the bag only (default all)')
    conversion.add_argument('--image-topic', default='/image')
    parser.set_defaults(func=evaluate)


def evaluate(args: argparse.Namespace) -> int:
    if args.pipeline == 'pose':
        from hybrid_perception.cli.evaluate_pose import evaluate_pose
        return evaluate_pose(args)
    if args.pipeline == 'conversion':
        from hybrid_perception.cli.evaluate_conversion import evaluate_conversion
        return evaluate_conversion(args)
    args.rate = 1.0 if args.rate is None else args.rate
    from hybrid_perception.datasets.gesture_bag import read_gesture_labels
    from hybrid_perception.errors import HybridPerceptionError
    from hybrid_perception.hybrid.gesture.bundle import load_bundle
    from hybrid_perception.hybrid.gesture.evaluation import gesture_metrics
    from hybrid_perception.hybrid.gesture.report import write_report
    from hybrid_perception.io.sources import read_packets
    from hybrid_perception.ros.tools.live_evaluation import replay_gesture_graph

    spans = read_gesture_labels(args.bag, args.labels_topic)
    packets = read_packets(args.bag, args.events_topic, args.packet_us)
    events = sum(packet.size for _, packet in packets)
    models = {}
    for entry in args.model or DEFAULT_MODELS:
        name, sep, path = entry.partition('=')
        if not sep:
            raise HybridPerceptionError(f'--model {entry!r} must look like NAME=PATH')
        models[name] = load_bundle(path)
    print(f'{args.bag}: {len(spans)} gestures, {events} events in {len(packets)} packets; '
          f'models: {", ".join(f"{n} ({b.spec.name})" for n, b in models.items())}')
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    results, latencies = {}, {}
    for name, bundle in models.items():
        run, ops = replay_gesture_graph(name, bundle, packets, rate=args.rate,
                                        packet_us=args.packet_us, snn_backend=args.snn_backend,
                                        ann_backend=args.ann_backend, truth=spans)
        latencies[name] = run.latencies()
        results[name] = gesture_metrics(bundle, run.decisions, latencies[name], ops, spans)
        m, between = results[name], results[name]['between_gestures']
        print(f'  {name}: accuracy {m["accuracy"]:.3f} over {m["gestures"]} gestures, '
              f'latency p50 {m["latency_ms"]["p50"]:.2f} ms, p99 {m["latency_ms"]["p99"]:.2f} '
              f'ms, {m["energy_mj_per_inference"] * 1e3:.3g} uJ/inference (estimate)'
              + (f'; between gestures {between["none"]:.1%} of {between["decisions"]} '
                 'decisions "none"' if between['decisions'] else ''))
    classes = list(next(iter(models.values())).spec.classes)
    metrics = {'bag': str(args.bag), 'gestures': len(spans), 'rate': args.rate,
               'packet_period_us': args.packet_us, 'classes': classes, 'models': results}
    (out / 'metrics.json').write_text(json.dumps(metrics, indent=1))
    report = write_report(metrics, latencies, out)
    print(f'metrics: {out / "metrics.json"}')
    print(f'report: {report}')
    return 0
