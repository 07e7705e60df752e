"""H2's per-joint confidence (#22): are the joints it leaves out the ones the sensor cannot see?

Renders takes of the 5 test people (every movement, both views) and streams each view through
the live stages (``PosePipeline``: the hybrid, its joints scored by ``JointEvidence``) three
ways: as rendered; seen from the waist up (every event below the hips' lowest row plus 4 px
dropped and the rest moved down until that row is the sensor's lower edge, as a camera framing
the upper body sees it); and as uniform sensor noise of the same length, no person at all.
A joint is kept at confidence >= 0.5 (skeleton_node's default).

Targets: on noise and for the legs of a waist-up view, at most 10 % of joints kept; in full
view the kept joints are the better ones (their error below the left-out joints').

    scripts/with-venv.sh python benchmarks/pose_confidence.py [--model pose] [--takes 1]
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace

import numpy as np
from tqdm import tqdm

from hybrid_perception.datasets.people import SENSOR, PeopleRenderer
from hybrid_perception.events.array import moved
from hybrid_perception.geometry.joints import JOINTS
from hybrid_perception.hybrid.pose.bundle import load_pose_bundle
from hybrid_perception.hybrid.pose.evidence import MIN_JOINT_CONFIDENCE
from hybrid_perception.hybrid.pose.stream import PosePipeline
from hybrid_perception.hybrid.pose.windows import pose_at
from hybrid_perception.sim.noise import uniform_noise

LEGS = [JOINTS.index(j) for j in ('kneeR', 'kneeL', 'footR', 'footL')]
HIPS = [JOINTS.index(j) for j in ('hipR', 'hipL')]


def predict(bundle, events: np.ndarray, evidence: dict
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Step ends (N,), joints (N, J, 2) and confidence (N, J) the live pair publishes, its
    evidence's parameters set from ``evidence``."""
    pipeline = PosePipeline(bundle, SENSOR)
    pipeline.stepper.evidence = replace(pipeline.stepper.evidence, **evidence)
    out = pipeline.push(events)
    pipeline.close()
    return (np.array([p.t_us for p in out]), np.array([p.joints for p in out]),
            np.array([p.confidence for p in out]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--model', default='pose', help='a `train pose` folder or shipped name')
    parser.add_argument('--takes', type=int, default=1, help='per test person and movement')
    parser.add_argument('--take-seconds', type=float, default=2.0)
    parser.add_argument('--noise-rate', type=float, default=10_000,
                        help='events/s over the whole sensor (default 10 k: 0.6 a pixel)')
    parser.add_argument('--seed', type=int, default=1, help='test takes (training used 0)')
    parser.add_argument('--radius-px', type=float, default=None,
                        help='JointEvidence.radius_px (default: the library\'s)')
    parser.add_argument('--contrast', type=float, default=None,
                        help='JointEvidence.contrast (default: the library\'s)')
    args = parser.parse_args()
    evidence = {k: v for k, v in (('radius_px', args.radius_px), ('contrast', args.contrast))
                if v is not None}

    bundle = load_pose_bundle(args.model)
    duration = int(args.take_seconds * 1e6)
    takes = PeopleRenderer().takes('test', args.takes, duration, args.seed, progress=True)
    rng = np.random.default_rng(args.seed)
    kept_err, dropped_err, full_kept, legs_kept, upper_kept, noise_kept = [], [], [], [], [], []
    views = [(take, v) for take in takes for v in range(len(take.events))]
    for take, v in tqdm(views, desc='streaming views', unit='view'):
        truth = take.joints_2d[v]
        ends, joints, confidence = predict(bundle, take.events[v], evidence)
        true = pose_at(take.label_us, truth, ends)
        error = np.linalg.norm(joints - true, axis=-1)
        kept = confidence >= MIN_JOINT_CONFIDENCE
        kept_err.append(error[kept])
        dropped_err.append(error[~kept])
        full_kept.append(kept.ravel())

        cut = int(np.ceil(truth[:, HIPS, 1].max())) + 4
        events = take.events[v]
        down = SENSOR.height - cut
        ends, joints, confidence = predict(
            bundle, moved(events[events['y'] < cut], 0, down, SENSOR.width, SENSOR.height),
            evidence)
        below = pose_at(take.label_us, truth, ends)[:, LEGS, 1] + down >= SENSOR.height
        legs_kept.append((confidence[:, LEGS] >= MIN_JOINT_CONFIDENCE)[below])
        upper = [j for j in range(len(JOINTS)) if j not in LEGS]
        upper_kept.append((confidence[:, upper] >= MIN_JOINT_CONFIDENCE).ravel())

        _, _, confidence = predict(bundle, uniform_noise(SENSOR, args.noise_rate, duration, rng),
                                   evidence)
        noise_kept.append((confidence >= MIN_JOINT_CONFIDENCE).ravel())

    share = {name: float(np.concatenate(parts).mean()) for name, parts in
             {'full_view': full_kept, 'waist_up_legs': legs_kept,
              'waist_up_upper_body': upper_kept, 'noise': noise_kept}.items()}
    errors = {'kept_px': float(np.concatenate(kept_err).mean()),
              'left_out_px': float(np.concatenate(dropped_err).mean())}
    met = (share['noise'] <= 0.1 and share['waist_up_legs'] <= 0.1
           and errors['kept_px'] < errors['left_out_px'])
    print(f'\n{bundle.path}: {len(views)} test views of {args.take_seconds:g} s; a joint is kept '
          f'at confidence >= {MIN_JOINT_CONFIDENCE}')
    print('| stream | joints kept |')
    print('|---|---|')
    print(f'| full view | {share["full_view"]:.1%} (error kept {errors["kept_px"]:.2f} px, '
          f'left out {errors["left_out_px"]:.2f} px) |')
    print(f'| waist up: legs below the frame\'s edge | {share["waist_up_legs"]:.1%} |')
    print(f'| waist up: head, arms, hips | {share["waist_up_upper_body"]:.1%} |')
    print(f'| uniform noise, {args.noise_rate:g} events/s | {share["noise"]:.1%} |')
    print(f'targets (noise and waist-up legs <= 10 %, kept joints the better ones): '
          f'{"met" if met else "NOT met"}')
    print(json.dumps({'model': str(bundle.path), 'views': len(views), 'evidence': evidence,
                      'kept': share,
                      'error': errors, 'target_met': met}))
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
