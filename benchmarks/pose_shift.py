"""H2's shift test (#22): does the predicted skeleton follow the person, or sit where the
training people stood?

Renders takes of the 5 test people (every movement, both views), moves each view's events by
``--shift`` px left/right and up/down (events pushed off the sensor are gone, as they would be
for a person standing there), runs the stream through the live stages (``PosePipeline``: the
hybrid, the ANN initializer every window, the SNN every step) and the ANN initializer alone
(its pose once a window: the ANN baseline), and prints how far the mean predicted joint moved
against how far the events moved. A model that localises moves its joints by the shift
(ratio 1); one that places a template does not move them (ratio 0).

Target (#22): the mean joint moves by the shift within 20 % (ratio 0.8-1.2), hybrid and ANN.

    scripts/with-venv.sh python benchmarks/pose_shift.py [--model pose] [--shift 25] [--takes 1]
"""

from __future__ import annotations

import argparse
import json

import numpy as np
from tqdm import tqdm

from hybrid_perception.datasets.people import SENSOR, PeopleRenderer
from hybrid_perception.events.array import moved
from hybrid_perception.hybrid.common import FittedInput
from hybrid_perception.hybrid.pose.bundle import load_pose_bundle
from hybrid_perception.hybrid.pose.stream import EventHistory, PosePipeline


def hybrid_joints(bundle, events: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(steps, joints, 2) the live pair publishes, camera pixels, and each step's place in its
    initialization window (0: the first step after the ANN set the state)."""
    pipeline = PosePipeline(bundle, SENSOR)
    poses = [p for start in range(0, len(events), 20_000)
             for p in pipeline.push(events[start:start + 20_000])]
    pipeline.close()
    windows = bundle.spec.windows
    t_us = np.array([p.t_us for p in poses])
    return (np.array([p.joints for p in poses]),
            (t_us - windows.step_us) % windows.window_us // windows.step_us)


def ann_joints(bundle, events: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(windows, joints, 2): the ANN initializer's pose at every window boundary (each the
    window's step 0)."""
    windows = bundle.spec.windows
    fitted = FittedInput(SENSOR, windows.sensor, None, 0)
    history = EventHistory(windows.window_us, windows.window_us, 1_000_000)
    initializer = bundle.pose_initializer()
    joints = np.array([fitted.fit.to_camera(initializer(windows.ann_input(before,
                                                                          boundary)).pose)
                       for part, stamp in fitted(events)
                       for boundary, before in history.push(part, stamp)])
    return joints, np.zeros(len(joints), np.int64)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--model', default='pose', help='a `train pose` folder or shipped name')
    parser.add_argument('--shift', type=int, default=25, help='px (default 25, as #22 asks)')
    parser.add_argument('--takes', type=int, default=1, help='per test person and movement')
    parser.add_argument('--take-seconds', type=float, default=2.0)
    parser.add_argument('--seed', type=int, default=1, help='test takes (training used 0)')
    args = parser.parse_args()

    bundle = load_pose_bundle(args.model)
    takes = PeopleRenderer().takes('test', args.takes, int(args.take_seconds * 1e6), args.seed,
                                   progress=True)
    s = args.shift
    moves = {'left': (-s, 0), 'right': (s, 0), 'up': (0, -s), 'down': (0, s)}
    models = {'hybrid': hybrid_joints, 'ann': ann_joints}
    ratios: dict[str, dict[str, list[float]]] = {m: {k: [] for k in moves} for m in models}
    steps = bundle.spec.windows.steps
    by_step: list[np.ndarray] = []   # hybrid, per view and move: the ratio at each step
    streams = [take.events[view] for take in takes for view in range(len(take.events))]
    for events in tqdm(streams, desc='streaming shifted views', unit='view'):
        for model, run in models.items():
            joints, step = run(bundle, events)
            centre = _means(joints, step, steps)
            for name, (dx, dy) in moves.items():
                there = moved(events, dx, dy, SENSOR.width, SENSOR.height)
                now_joints, now_step = run(bundle, there)
                now, axis = _means(now_joints, now_step, steps), 0 if dx else 1
                ratios[model][name].append(float((now[-1] - centre[-1])[axis] / (dx or dy)))
                if model == 'hybrid':
                    by_step.append((now[:-1] - centre[:-1])[:, axis] / (dx or dy))
    figures = {}
    print(f'\n{bundle.path}: {len(streams)} test views, events moved by {s} px; ratio = '
          'mean joint shift / event shift (1: the skeleton follows, 0: a fixed template)')
    print('| model | ' + ' | '.join(moves) + ' | mean | within 20 % |')
    print('|---|' + '---|' * (len(moves) + 2))
    for model, per_move in ratios.items():
        ratios = {name: float(np.mean(values)) for name, values in per_move.items()}
        mean = float(np.mean(list(ratios.values())))
        met = all(0.8 <= r <= 1.2 for r in ratios.values())
        figures[model] = {'ratios': ratios, 'mean_ratio': mean, 'target_met': met}
        print(f'| {model} | ' + ' | '.join(f'{r:.2f}' for r in ratios.values())
              + f' | {mean:.2f} | {"yes" if met else "no"} |')
    step_ratios = np.nanmean(np.array(by_step), axis=0)
    print('hybrid, by step of its initialization window (0: just set by the ANN): '
          + ' '.join(f'{r:.2f}' for r in step_ratios))
    figures['hybrid']['ratio_by_step'] = [round(float(r), 4) for r in step_ratios]
    print(json.dumps({'model': str(bundle.path), 'shift_px': s, 'views': len(streams),
                      **figures}))
    return 0


def _means(joints: np.ndarray, step: np.ndarray, steps: int) -> np.ndarray:
    """(steps + 1, 2): the mean joint at each step of the initialization window (NaN where
    none), then over all steps."""
    per_step = [joints[step == k].reshape(-1, 2).mean(axis=0) if (step == k).any()
                else np.full(2, np.nan) for k in range(steps)]
    return np.array([*per_step, joints.reshape(-1, 2).mean(axis=0)])


if __name__ == '__main__':
    raise SystemExit(main())
