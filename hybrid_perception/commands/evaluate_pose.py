"""``hybrid-perception evaluate --pipeline pose``: H2 and its baselines through the live graph.

Each model folder (one per SNN rate) is replayed three times, once per model of
:data:`~hybrid_perception.hybrid.pose.evaluation.MODELS`, through a fresh two-camera graph of
the real nodes (config/pose.yaml's shape): per camera state_initializer_node and/or
pose_snn_node, and skeleton_node triangulating with the bag's rig. What comes back on the
topics is scored against the bag's ground truth. Heavy imports happen inside the functions.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

__all__ = ['evaluate_pose']

#: what each model runs per camera, and where its 2D pose comes out (under /<model>/<camera>/)
GRAPHS = {'hybrid': (('state_initializer_node', 'pose_snn_node'), 'pose'),
          'ann': (('state_initializer_node',), 'ann/pose'),
          'snn': (('pose_snn_node',), 'pose')}


def evaluate_pose(args: argparse.Namespace) -> int:
    from hybrid_perception.datasets.pose_bag import read_pose_truth
    from hybrid_perception.geometry.rig import save_rig
    from hybrid_perception.hybrid.pose.bundle import load_pose_bundle
    from hybrid_perception.hybrid.pose.evaluation import MODELS, pose_power, score_live
    from hybrid_perception.hybrid.pose.report import write_pose_report

    truth = read_pose_truth(args.bag)
    packets = _packets(args.bag, [c.name for c in truth.cameras], args.packet_us)
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
        tracks = {m: _live_run(m, bundle, packets, rig, args) for m in MODELS}
        power = pose_power(bundle.initialiser(), bundle.spec, {
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


def _packets(bag, cameras: list[str], packet_us: int) -> dict:
    """Each camera's events as packets, and one empty packet 100 ms (a step at any rate) after
    the last: a live stream goes on, and the nodes close a step only once it is past its end."""
    from hybrid_perception.events.array import concatenate, empty_events
    from hybrid_perception.io.rosbag import EventBagReader
    from hybrid_perception.io.sources import packetize
    packets = {}
    for camera in cameras:
        reader = EventBagReader(bag, topic=f'/{camera}/events')
        try:
            packets[camera] = list(packetize([concatenate(list(reader))], packet_us))
        finally:
            reader.close()
    end = max(stamp for part in packets.values() for stamp, _ in part[-1:]) + 100_000
    for part in packets.values():
        part.append((end, empty_events()))
    return packets


def _live_run(model: str, bundle, packets: dict, rig: Path, args):
    """One replay through a fresh graph in namespace /<model>."""
    from hybrid_perception.hybrid.pose.evaluation import LiveTrack
    from hybrid_perception.networks.energy.operations import OpCounter, OpCounts
    from hybrid_perception.ros.tools.live_evaluation import PoseListener, live_graph, play

    nodes_per_camera, pose_topic = GRAPHS[model]
    windows = bundle.spec.windows
    path = str(bundle.path)
    parameters = {
        'state_initializer_node': {'model': path, 'reliability': 'reliable',
                                   'backend': args.ann_backend,
                                   'rate_hz': float(windows.rate_hz if model == 'ann'
                                                    else 1e6 / windows.window_us)},
        'pose_snn_node': {'model': path, 'reliability': 'reliable', 'backend': args.snn_backend,
                          'snn': 'alone' if model == 'snn' else 'hybrid'}}
    graph = {f'/{camera}/{node}': parameters[node] for camera in packets
             for node in nodes_per_camera}
    graph['skeleton_node'] = {'views': list(packets), 'rig': str(rig), 'frame_id': 'world',
                              'pose_topic': pose_topic}
    with live_graph(graph, f'/{model}') as (context, executor, nodes):
        topics = {f'{camera}/{pose_topic}': camera for camera in packets}
        listener = PoseListener(packets, {**topics, 'pose': ''}, rate=args.rate,
                                period_s=args.packet_us * 1e-6, namespace=f'/{model}',
                                context=context)
        nodes.append(listener)
        play(executor, listener, len(nodes_per_camera), f'replaying for {model}')
        last, seen = time.monotonic(), -1
        while time.monotonic() - last < 2.0:      # until the graph has gone quiet
            executor.spin_once(timeout_sec=0.01)
            count = sum(len(p) for p in listener.poses.values())
            if count != seen:
                last, seen = time.monotonic(), count
        counters = [n.stepper.tracker.counter for n in nodes if n.get_name() == 'pose_snn_node']
        counted = sum(counters, OpCounter(bundle.spec.snn))     # none in the ANN's graph
        return LiveTrack(
            poses_2d={camera: listener.poses[topic] for topic, camera in topics.items()},
            poses_3d=listener.poses['pose'],
            latency_2d_s=[s for topic in topics for s in listener.latency_s[topic]],
            latency_3d_s=listener.latency_s['pose'],
            ops_per_step=counted.per_step() or OpCounts())
