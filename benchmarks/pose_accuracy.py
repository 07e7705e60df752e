"""H2 side by side: the hybrid, the ANN at the SNN's rate and the SNN alone on unseen people.

Renders takes of the 5 test people (every movement), runs each view as a stream through the
three models exactly as the live graph does (initializer once a window, SNN on the torch
runtime every step, readout on the host), and prints 2D and 3D errors, the error at each step
of an initialization window (the seed's figure), and estimated power: the ANN's MACs on a
Jetson Orin Nano board model, the SNN's counted operations on Loihi (coefficients and sources
printed; nothing here is measured on that hardware). Ends with one JSON line of the figures.

    scripts/with-venv.sh python benchmarks/pose_accuracy.py [--model pose [--model M2]] [--takes 1]
"""

from __future__ import annotations

import argparse
import json

from hybrid_perception.datasets.people import PeopleRenderer
from hybrid_perception.hybrid.pose.bundle import load_pose_bundle
from hybrid_perception.hybrid.pose.evaluation import MODELS, pose_power, score_takes
from hybrid_perception.hybrid.pose.tracker import PoseInitializer


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--model', action='append', default=None,
                        help='a `train pose` folder, or the shipped one (default pose); '
                             'repeat for one model per SNN rate, scored on the same takes')
    parser.add_argument('--takes', type=int, default=1,
                        help='takes per test person and movement (default 1: 40 takes)')
    parser.add_argument('--take-seconds', type=float, default=2.0)
    parser.add_argument('--seed', type=int, default=1, help='test takes (training used 0)')
    args = parser.parse_args()

    renderer = PeopleRenderer()
    takes = renderer.takes('test', args.takes, int(args.take_seconds * 1e6), args.seed,
                           progress=True)
    results = [score_model(load_pose_bundle(path), takes, list(renderer.cameras))
               for path in args.model or ['pose']]
    print(json.dumps(results if len(results) > 1 else results[0]))
    return 0


def score_model(bundle, takes, cameras) -> dict:
    """Print one model's table, ratios, error by step and power estimates; return its figures."""
    spec = bundle.spec
    trackers = [bundle.tracker(kind, 'torch', spec.windows.steps) for kind in ('hybrid', 'alone')]
    initializer = bundle.initializer()
    scores = score_takes(takes, PoseInitializer.of(initializer), *trackers, progress=True)
    power = pose_power(initializer, spec, {m: scores.ops_per_step(m) for m in ('hybrid', 'snn')})
    figures = {m: {'mpjpe_2d_px': scores.mpjpe_2d(m), 'mpjpe_3d_mm': scores.mpjpe_3d_mm(m, cameras),
                   'power_w': power[m]['power_w'],
                   'energy_mj_per_s': power[m]['energy_mj_per_s'],
                   'error_by_step_px': [round(e, 3) for e in scores.error_by_step(m)]}
               for m in MODELS}
    rate = spec.windows.rate_hz
    print(f'\n{bundle.path}: {len(takes)} test takes x {len(cameras)} views, {rate} Hz, sensor '
          f'{spec.windows.sensor.width}x{spec.windows.sensor.height} px')
    print('| model | 2D MPJPE px | 3D MPJPE mm | power W (ESTIMATE) |')
    print('|---|---|---|---|')
    for m, f in figures.items():
        print(f'| {m} | {f["mpjpe_2d_px"]:.2f} | {f["mpjpe_3d_mm"]:.1f} | {f["power_w"]:.4g} |')
    hybrid, ann, snn = (figures[m] for m in MODELS)
    ratios = {'hybrid_error_vs_ann': hybrid['mpjpe_2d_px'] / ann['mpjpe_2d_px'] - 1,
              'hybrid_power_saving_vs_ann': 1 - hybrid['power_w'] / ann['power_w'],
              'hybrid_error_below_snn': 1 - hybrid['mpjpe_2d_px'] / snn['mpjpe_2d_px']}
    print(f'hybrid error {ratios["hybrid_error_vs_ann"]:+.1%} against the ANN (target within '
          f'4 %), {ratios["hybrid_power_saving_vs_ann"]:.1%} less power (target >= 88 %), '
          f'{ratios["hybrid_error_below_snn"]:.1%} below the SNN alone (target >= 74 %)')
    print('error at each step of a window (px):')
    for m, f in figures.items():
        print(f'  {m:7s} ' + ' '.join(f'{e:5.2f}' for e in f['error_by_step_px']))
    print('power estimates:')
    for m in MODELS:
        for line in power[m]['estimate']:
            print(f'  {m}: {line}')
    return {'model': str(bundle.path), 'rate_hz': rate, 'models': figures, **ratios}


if __name__ == '__main__':
    raise SystemExit(main())
