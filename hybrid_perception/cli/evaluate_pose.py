"""``hybrid-perception evaluate --pipeline pose``: H2 and its baselines through the live graph.

Each model folder (one per SNN rate) is replayed three times, once per model of
:data:`~hybrid_perception.hybrid.pose.evaluation.MODELS`, through a fresh two-camera graph of
the real nodes (config/pose.yaml's shape, built by
:func:`~hybrid_perception.ros.tools.live_evaluation.replay_pose_graph`). What comes back on the
topics is scored against the bag's ground truth.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

__all__ = ['evaluate_pose']

def evaluate_pose(args: argparse.Namespace) -> int:
    from hybrid_perception.datasets.pose_bag import read_camera_packets, read_pose_truth
    from hybrid_perception.geometry.rig import save_rig
    from hybrid_perception.hybrid.pose.bundle import load_pose_bundle
    from hybrid_perception.hybrid.pose.evaluation import MODELS, pose_power, score_live
    from hybrid_perception.hybrid.pose.report import write_pose_report
    from hybrid_perception.ros.tools.live_evaluation import replay_pose_graph

    truth = read_pose_truth(args.bag)
    packets = read_camera_packets(args.bag, [c.name for c in truth.cameras], args.packet_us)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rig = save_rig(out / 'rig.yaml', truth.cameras)
    bundles = [load_pose_bundle(path) for path in args.model or ['pose']]
    if args.rate is None:   # a quarter of real time at 100 Hz, an eighth at 200 Hz: see --help
        args.rate = 25 / max(b.spec.windows.rate_hz for b in bundles)
    print(f'{args.bag}: {len(truth.label_us)} labelled poses, cameras '
          f'{", ".join(packets)}; models: '
          + ', '.join(f'{b.path} ({b.spec.windows.rate_hz} Hz)' for b in bundles))
    results = {m: {} for m in MODELS}
    by_step = {}
    for bundle in bundles:
        rate = f'{bundle.spec.windows.rate_hz}hz'
        tracks = {m: replay_pose_graph(m, bundle, packets, rig, rate=args.rate,
                                        packet_us=args.packet_us, snn_backend=args.snn_backend,
                                        ann_backend=args.ann_backend, truth=truth)
                  for m in MODELS}
        power = pose_power(bundle.initializer(), bundle.spec, {
            m: tracks[m].ops_per_step for m in ('hybrid', 'snn')})
        for m in MODELS:
            scored = score_live(truth, tracks[m], bundle.spec.windows)
            results[m][rate] = {**scored.pop('summary'), 'model_path': str(bundle.path),
                                'power_w': power[m]['power_w'],
                                'energy_mj_per_s': power[m]['energy_mj_per_s'],
                                'power_is_estimate': True, 'estimate': power[m]['estimate']}
            by_step[f'{m} {rate}'] = scored['error_by_step_px']
            r = results[m][rate]
            print(f'  {m} {rate}: 2D {r["mpjpe_2d_px"]:.2f} px, 3D {r["mpjpe_3d_mm"]:.0f} mm, '
                  f'latency p50 {r["latency_ms"]["p50"]:.2f} ms, {r["power_w"] * 1e3:.3g} mW '
                  f'(ESTIMATE)')
            if r['latency_ms']['p50'] > 10 * bundle.spec.windows.step_us * 1e-3:
                print(f'  warning: {m} did not keep up at {args.rate}x real time: its latency '
                      f'is mostly queueing; a lower --rate measures the work itself')
    metrics = {'bag': str(args.bag), 'rate': args.rate, 'packet_period_us': args.packet_us,
               'cameras': list(packets), 'models': results, 'error_by_step_px': by_step}
    (out / 'metrics.json').write_text(json.dumps(metrics, indent=1))
    report = write_pose_report(metrics, out)
    print(f'metrics: {out / "metrics.json"}')
    print(f'report: {report}')
    return 0
