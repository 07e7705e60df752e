"""``hybrid-perception dataset gesture|pose``: an evaluation bag with ground truth (the test
subjects of the synthetic datasets), for ``evaluate`` and for any ROS 2 tool."""

from __future__ import annotations

import argparse

__all__ = ['add_parser']


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser('dataset', help='write an evaluation bag with ground truth')
    parser.add_argument('task', choices=['gesture', 'pose'])
    parser.add_argument('--out', required=True, help='bag to create (MCAP)')
    parser.add_argument('--samples', type=int, default=None,
                        help='takes, round robin over the test subjects and classes: gesture '
                             '6 x 11 (default 66), pose 5 people x 8 movements (default 16)')
    parser.add_argument('--take-seconds', type=float, default=2.0,
                        help='pose: length of each take (default 2.0)')
    parser.add_argument('--seed', type=int, default=0)
    parser.set_defaults(func=write_dataset)


def write_dataset(args: argparse.Namespace) -> int:
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
