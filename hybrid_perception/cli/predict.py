"""``hybrid-perception predict``: the live graph's decisions on any recording, offline, as
JSON lines (one object per decision)."""

from __future__ import annotations

import argparse

__all__ = ['add_parser']


def add_parser(sub: argparse._SubParsersAction) -> None:
    from hybrid_perception.cli.recording_options import add_recording_options
    parser = sub.add_parser(
        'predict', help='run a pipeline over any recording; one JSON line per decision',
        description='Run the stages the live nodes run (same defaults) over a recording the '
                    'driver reads, and write one JSON object per decision: '
                    '{"t_us", "label", "probabilities", "activity"} for gesture (label "none" '
                    'below --min-activity), {"t_us", "joints"} for pose (13 joints, DHP19\'s '
                    'order, in the recording\'s pixels).')
    parser.add_argument('recording', help='any recording the driver reads')
    parser.add_argument('--pipeline', choices=('gesture', 'pose'), default='gesture',
                        help='gesture (H1) or pose (H2, one camera)')
    parser.add_argument('--model', default=None,
                        help='model folder or shipped name (gesture: gesture/hybrid (default), '
                             'gesture/ann, gesture/snn; pose: pose (default), pose-200)')
    parser.add_argument('--snn', choices=('hybrid', 'alone'), default='hybrid',
                        help='pose: the hybrid SNN, or the SNN alone (the baseline)')
    parser.add_argument('--out', required=True, help='FILE.jsonl to write')
    parser.add_argument('--roi', type=int, nargs=4, default=None, metavar=('X', 'Y', 'W', 'H'),
                        help='region of interest on the sensor (default: all of it)')
    parser.add_argument('--downsample', type=int, default=0,
                        help='pixel blocks binned into one (0: the smallest that fits)')
    parser.add_argument('--min-activity', type=int, default=200,
                        help='input spikes a window needs for a label, fewer: "none" (default '
                             '200: above the ~40 of 1 k ev/s sensor noise, below the 411 of the '
                             'quietest synthetic gesture window; 0: every window gets a class, '
                             'as in the live graph)')
    parser.add_argument('--snn-backend', choices=('torch', 'lava'), default='torch')
    add_recording_options(parser)
    parser.set_defaults(func=predict)


def predict(args: argparse.Namespace) -> int:
    import json
    from collections import Counter
    from pathlib import Path

    from tqdm import tqdm

    from hybrid_perception.cli.recording_options import open_from_options
    from hybrid_perception.errors import HybridPerceptionError
    recording = open_from_options(args.recording, args)
    try:
        pipeline, name = _pipeline(args, recording.sensor)
    except ValueError as err:  # a region off the sensor
        raise HybridPerceptionError(f'--roi / --downsample: {err}') from err
    print(f'{args.recording} ({recording.format}, {recording.sensor.width}x'
          f'{recording.sensor.height}) -> {name}, {pipeline.fit}')
    labels: Counter[str] = Counter()
    error: HybridPerceptionError | None = None
    out = Path(args.out)
    with out.open('w') as handle, tqdm(unit='ev', unit_scale=True,
                                       desc=Path(args.recording).name) as bar:
        try:
            for chunk in recording:
                for decision in pipeline.push(chunk):
                    handle.write(json.dumps(decision.to_dict()) + '\n')
                    labels[getattr(decision, 'label', 'pose')] += 1
                bar.update(chunk.size)
        except HybridPerceptionError as err:
            error = err
        finally:
            pipeline.close()
    total = sum(labels.values())
    print(f'{total} decisions written to {out}: '
          + ', '.join(f'{label} {n}' for label, n in labels.most_common())
          + (f'; {pipeline.cropped} events outside the region' if pipeline.cropped else ''))
    if error is not None:
        print(f'error: {error} (the decisions before it were written)')
        return 1
    return 0


def _pipeline(args: argparse.Namespace, sensor):
    """The pipeline asked for, and a line naming its model."""
    if args.pipeline == 'gesture':
        from hybrid_perception.hybrid.gesture.bundle import load_bundle
        from hybrid_perception.hybrid.gesture.stream import GesturePipeline
        bundle = load_bundle(args.model or 'gesture/hybrid')
        return GesturePipeline(bundle, sensor, roi=args.roi, downsample=args.downsample,
                               snn_backend=args.snn_backend, min_activity=args.min_activity), \
            f'{bundle.spec.name} ({bundle.spec.kind})'
    from hybrid_perception.hybrid.pose.bundle import load_pose_bundle
    from hybrid_perception.hybrid.pose.stream import PosePipeline
    bundle = load_pose_bundle(args.model or 'pose')
    return PosePipeline(bundle, sensor, roi=args.roi, downsample=args.downsample, snn=args.snn,
                        snn_backend=args.snn_backend), \
        f'{bundle.path.name} ({args.snn} SNN, {bundle.spec.windows.rate_hz} Hz)'
