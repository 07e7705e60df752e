"""``hybrid-perception dataset gesture|pose|digits``: an evaluation bag with ground truth (the
test subjects of the synthetic datasets, or DVS128 Gesture's test recordings; the test split
of the real handwritten digits), for ``evaluate`` and for any ROS 2 tool."""

from __future__ import annotations

import argparse

__all__ = ['add_parser']


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser('dataset', help='write an evaluation bag with ground truth')
    parser.add_argument('task', choices=['gesture', 'pose', 'digits'])
    parser.add_argument('--out', required=True, help='bag to create (MCAP)')
    parser.add_argument('--samples', type=int, default=None,
                        help='takes, round robin over the test subjects and classes: gesture '
                             '6 x 11 (default 66), pose 5 people x 8 movements (default 16); '
                             'digits: test images (default all 450)')
    parser.add_argument('--take-seconds', type=float, default=2.0,
                        help='pose: length of each take (default 2.0)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--from', dest='source', default='synthetic', metavar='DATA',
                        help='gesture: synthetic (default) or dvs-gesture:PATH (the extracted '
                             'DvsGesture folder: its trials_to_test.txt recordings, whole, '
                             'each labelled gesture on /ground_truth); pose: synthetic or '
                             'dhp19:PATH (DHP19 in the seed\'s layout: the test subjects '
                             '13-17 seen by cameras 2 and 3, whole recordings, truth every '
                             '10 ms; --samples recordings)')
    parser.add_argument('--data', default='digits',
                        help='digits: digits (scikit-learn\'s) or mnist:FOLDER (default digits)')
    parser.add_argument('--size', type=int, default=28,
                        help='digits: image side in pixels (default 28, the shipped model\'s)')
    parser.set_defaults(func=write_dataset)


def write_dataset(args: argparse.Namespace) -> int:
    if args.source != 'synthetic' and args.task == 'digits':
        raise ValueError(f'--from {args.source}: digits come from --data')
    if args.task == 'pose':
        return _recorded_poses(args) if args.source != 'synthetic' else _pose_dataset(args)
    if args.task == 'digits':
        return _digits_dataset(args)
    if args.source != 'synthetic':
        return _recorded_gestures(args)
    from hybrid_perception.datasets.gesture_bag import write_gesture_bag

    samples = 66 if args.samples is None else args.samples
    spans = write_gesture_bag(args.out, samples=samples, seed=args.seed, progress=True)
    seconds = (spans[-1].end_us - spans[0].start_us) * 1e-6 if spans else 0
    print(f'wrote {len(spans)} gestures ({seconds:.1f} s of events, ground truth on '
          f'/ground_truth) to {args.out}')
    return 0


def _recorded_gestures(args: argparse.Namespace) -> int:
    from hybrid_perception.cli.train_gesture import dvs_gesture_folder
    from hybrid_perception.datasets.dvs_gesture import recordings
    from hybrid_perception.datasets.gesture_bag import write_recordings_bag

    found = recordings(dvs_gesture_folder(args.source, '--from'), 'test')
    spans = write_recordings_bag(args.out, found, samples=args.samples, progress=True)
    subjects = sorted({span.subject for span in spans})
    print(f'wrote {len(spans)} labelled gestures of {len(subjects)} test recordings '
          f'({", ".join(subjects)}), every event as recorded, ground truth on /ground_truth, '
          f'to {args.out}')
    return 0


def _recorded_poses(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from hybrid_perception.cli.train_pose import dhp19_folder
    from hybrid_perception.datasets.dhp19 import DHP19_CAMERAS, DHP19_TEST_SUBJECTS, Dhp19Folder
    from hybrid_perception.datasets.pose_bag import write_takes_bag

    folder = Dhp19Folder(dhp19_folder(args.source, '--from'))
    cameras = {c: folder.camera(c) for c in DHP19_CAMERAS}
    recordings = folder.recordings(DHP19_TEST_SUBJECTS)[:args.samples]
    takes = ((f'S{r.subject}', r.take(cameras))
             for r in tqdm(recordings, desc='reading recordings', unit='recording'))
    labels = write_takes_bag(args.out, tuple(cameras.values()), takes)
    print(f'wrote {len(recordings)} DHP19 test recordings (cameras '
          f'{", ".join(map(str, cameras))}, every event as recorded, {labels} labelled poses on '
          f'/ground_truth/joints and /<camera>/ground_truth/joints) to {args.out}')
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


def _digits_dataset(args: argparse.Namespace) -> int:
    from hybrid_perception.datasets.digits import load_image_data
    from hybrid_perception.datasets.image_bag import write_image_bag

    test = load_image_data(args.data, 'test', args.size)
    n = len(test) if args.samples is None else min(args.samples, len(test))
    count = write_image_bag(args.out, test.images[:n], test.labels[:n],
                            tuple(str(c) for c in range(10)))
    print(f'wrote {count} {args.size}x{args.size} test images of {args.data} (mono8 on /image, '
          f'ImageLabel ground truth on /ground_truth, 10 per second) to {args.out}')
    return 0
