"""``hybrid-perception predict``: the live graph's decisions on any recording, offline, as
JSON lines (one object per decision)."""

from __future__ import annotations

import argparse

__all__ = ['add_parser']


def add_parser(sub: argparse._SubParsersAction) -> None:
    from hybrid_perception.cli.recording_options import add_recording_options
    from hybrid_perception.networks.snn import DEFAULT_SNN_BACKEND, SNN_BACKENDS
    parser = sub.add_parser(
        'predict', help='run a pipeline over any recording; one JSON line per decision',
        description='Run the stages the live nodes run (same defaults) over a recording the '
                    'driver reads, and write one JSON object per decision: '
                    '{"t_us", "label", "probabilities", "activity"} for gesture (label "none" '
                    'below --min-activity), {"t_us", "joints", "confidence"} for pose (13 '
                    'joints, DHP19\'s order, in the recording\'s pixels; each joint\'s '
                    'confidence in [0, 1]: how much the recent events back it; --render '
                    'leaves out joints below 0.5).')
    parser.add_argument('recording', help='any recording the driver reads')
    parser.add_argument('--pipeline', choices=('gesture', 'pose'), default='gesture',
                        help='gesture (H1) or pose (H2, one camera)')
    parser.add_argument('--model', default=None,
                        help='model folder or shipped name (gesture: gesture/hybrid (default), '
                             'gesture/ann, gesture/snn, gesture/converted; pose: pose '
                             '(default), pose-200)')
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
    parser.add_argument('--min-confidence', type=float, default=-1.0,
                        help='gesture: a top probability below this is "none" (default: the '
                             'model\'s threshold, calibrated on its validation subjects; 0: off)')
    parser.add_argument('--snn-backend', choices=SNN_BACKENDS, default=DEFAULT_SNN_BACKEND)
    parser.add_argument('--render', default=None, metavar='DIR',
                        help='also draw each decision (gesture) or each window\'s last pose '
                             '(pose) on the events before it, as PNGs in DIR')
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
          f'{recording.sensor.height}) -> {name}, {pipeline.input.fit}')
    labels: Counter[str] = Counter()
    error: HybridPerceptionError | None = None
    out = Path(args.out)
    # a picture shows a gesture decision's window, or a pose window (both pipelines' windows)
    renderer = _Renderer(Path(args.render), recording.sensor, pipeline.windows.window_us) \
        if args.render else None
    with out.open('w') as handle, tqdm(unit='ev', unit_scale=True,
                                       desc=Path(args.recording).name) as bar:
        try:
            for chunk in recording:
                if renderer:
                    renderer.keep(chunk)
                for decision in pipeline.push(chunk):
                    handle.write(json.dumps(decision.to_dict()) + '\n')
                    labels[getattr(decision, 'label', 'pose')] += 1
                    if renderer:
                        renderer.draw(decision)
                bar.update(chunk.size)
        except HybridPerceptionError as err:
            error = err
        finally:
            pipeline.close()
    total = sum(labels.values())
    print(f'{total} decisions written to {out}: '
          + ', '.join(f'{label} {n}' for label, n in labels.most_common())
          + (f'; {pipeline.input.cropped} events outside the region'
             if pipeline.input.cropped else ''))
    if renderer:
        print(f'{renderer.drawn} pictures in {args.render}')
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
                               snn_backend=args.snn_backend, min_activity=args.min_activity,
                               min_confidence=args.min_confidence), \
            f'{bundle.spec.name} ({bundle.spec.kind})'
    from hybrid_perception.hybrid.pose.bundle import load_pose_bundle
    from hybrid_perception.hybrid.pose.stream import PosePipeline
    bundle = load_pose_bundle(args.model or 'pose')
    return PosePipeline(bundle, sensor, roi=args.roi, downsample=args.downsample, snn=args.snn,
                        snn_backend=args.snn_backend), \
        f'{bundle.path.name} ({args.snn} SNN, {bundle.spec.windows.rate_hz} Hz)'


class _Renderer:
    """Draws decisions on the events of the ``span_us`` before them (recording pixels): the
    label for gestures, the skeleton for poses (one picture a pose window)."""

    def __init__(self, folder, sensor, span_us: int) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder, self.sensor, self.span_us = folder, sensor, span_us
        self.recent = []
        self.drawn = 0

    def keep(self, chunk) -> None:
        if chunk.size:
            self.recent.append(chunk)
            newest = int(chunk['timestamp'][-1])
            self.recent = [c for c in self.recent
                           if int(c['timestamp'][-1]) >= newest - 2 * self.span_us]

    def draw(self, decision) -> None:
        import cv2
        import numpy as np

        from hybrid_perception.events.array import concatenate
        from hybrid_perception.events.representations import render_bgr
        from hybrid_perception.geometry.joints import BONES
        from hybrid_perception.hybrid.pose.evidence import MIN_JOINT_CONFIDENCE
        from hybrid_perception.sim.drawing import draw_skeleton
        joints = getattr(decision, 'joints', None)
        if joints is not None and decision.t_us % self.span_us:
            return  # poses come every step: one picture a window
        events = concatenate(self.recent) if self.recent else None
        if events is not None:
            t, x, y = events['timestamp'], events['x'], events['y']
            events = events[(t > decision.t_us - self.span_us) & (t <= decision.t_us)
                            & (x >= 0) & (x < self.sensor.width) & (y >= 0)
                            & (y < self.sensor.height)]
            image = render_bgr(events, self.sensor)
        else:
            image = np.full((self.sensor.height, self.sensor.width, 3), 255, np.uint8)
        scale = max(1, 512 // max(self.sensor.width, self.sensor.height))
        image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_NEAREST)
        if joints is not None:
            seen = decision.confidence >= MIN_JOINT_CONFIDENCE
            drawn = np.where(seen[:, None], (joints + 0.5) * scale - 0.5, np.nan)
            draw_skeleton(image, drawn, BONES, (40, 220, 255), width=0.8 * scale)
            text = f'{decision.t_us / 1e6:.3f} s'
        else:
            best = decision.probabilities.get(decision.label)
            text = f'{decision.t_us / 1e6:.3f} s  {decision.label}' + \
                (f' ({best:.2f})' if best is not None else '')
        cv2.putText(image, text, (4, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (0, 0, 0), 1,
                    cv2.LINE_AA)
        cv2.imwrite(str(self.folder / f'{self.drawn:05d}_{decision.t_us}.png'), image)
        self.drawn += 1
