"""``hybrid-perception train pose``: H2's initializer, its SNN, and the SNN-alone baseline.

Heavy imports happen inside the functions, so ``--help`` stays instant.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

__all__ = ['add_pose_training_arguments', 'dhp19_folder', 'train_pose']


def add_pose_training_arguments(group: argparse._ArgumentGroup) -> None:
    group.add_argument('--rate', type=int, default=None,
                       help="SNN steps per second, 100 or 200 (default: the spec's, 100)")
    group.add_argument('--pose-takes', type=int, default=2,
                       help='takes per training person and movement (default 2; synthetic)')
    group.add_argument('--people', type=int, default=12,
                       help='training people rendered, the last ones (default all 12: 10 fit, '
                            '2 validate; 3 makes a quick smoke run)')
    group.add_argument('--take-seconds', type=float, default=2.0,
                       help='length of a take (default 2 s)')
    group.add_argument('--ann-epochs', type=int, default=12,
                       help='epochs of the ANN, stage 1 (default 12; --epochs sets the SNNs\')')
    group.add_argument('--max-shift-px', type=int, default=32,
                       help='move each training window\'s person and poses by up to this many '
                            'sensor pixels either way (default 32, the shipped model\'s; 0: '
                            'where they stood, near the centre, which learns a template, #22)')
    group.add_argument('--partial-views', type=float, default=0.0,
                       help='share of training windows whose input is blank below a row drawn '
                            'between the hips and the feet, as a camera framing the upper body '
                            'sees them (default 0, the shipped models\'; #22: then the legs are '
                            'drawn off the events instead of on the torso)')
    group.add_argument('--initializer', default=None, metavar='MODEL',
                       help='skip stage 1: start from this pose model\'s trained initializer '
                            '(its spec too), e.g. the 200 Hz SNN on the shipped 100 Hz '
                            'model\'s ANN (`--initializer pose --rate 200`)')


def dhp19_folder(data: str | None, option: str = '--data') -> Path | None:
    """The DHP19 folder of ``dhp19:PATH``; None for synthetic (the default)."""
    if data in (None, 'synthetic'):
        return None
    kind, _, path = data.partition(':')
    if kind != 'dhp19' or not path:
        raise ValueError(f'{option} for pose must be synthetic or dhp19:PATH, got {data!r}')
    return Path(path)


def train_pose(args: argparse.Namespace) -> int:
    # refused before the imports (torch, SLAYER): seconds a user would wait for an error
    folder = dhp19_folder(args.data)
    if args.take_seconds <= 0.3:
        raise ValueError(f'--take-seconds must leave room for two windows, got '
                         f'{args.take_seconds}')
    if args.max_shift_px < 0:
        raise ValueError(f'--max-shift-px must be 0 or more, got {args.max_shift_px}')
    if not 0.0 <= args.partial_views <= 1.0:
        raise ValueError(f'--partial-views must be a share, 0..1, got {args.partial_views}')
    if args.initializer and args.spec:
        raise ValueError('--initializer brings its model\'s spec; leave out --spec')
    from hybrid_perception.hybrid.pose.bundle import load_pose_bundle, save_pose_bundle
    from hybrid_perception.hybrid.pose.model import PoseSnn, StateInitializer
    from hybrid_perception.hybrid.pose.spec import load_pose_spec
    from hybrid_perception.hybrid.pose.training import (
        PoseTraining,
        StageCheckpoints,
        pose_samples,
        split_validation,
        train_ann,
        train_hybrid,
        train_snn_alone,
    )

    start = load_pose_bundle(args.initializer) if args.initializer else None
    spec = start.spec if start else load_pose_spec(args.spec or
                                                   ('pose-dhp19' if folder else 'pose'))
    if args.rate:
        spec = spec.at_rate(args.rate)
    if not 2 < args.people <= 12:
        raise ValueError(f'--people must be 3..12 (2 of them validate), got {args.people}')
    settings = PoseTraining(takes=args.pose_takes, people=args.people,
                            take_us=int(args.take_seconds * 1e6),
                            ann_epochs=args.ann_epochs, snn_epochs=args.epochs or 8,
                            batch_size=args.batch_size, lr=args.lr or 1e-3, seed=args.seed,
                            max_shift_px=args.max_shift_px, partial_views=args.partial_views,
                            device=args.device)
    out = args.out or Path('out/pose')
    started = time.perf_counter()
    if folder:
        from hybrid_perception.datasets.dhp19 import Dhp19Folder
        from hybrid_perception.hybrid.pose.recorded import dhp19_training_data
        data = dhp19_training_data(Dhp19Folder(folder), spec.windows, settings.val_people,
                                   settings.stride_us)
        print(f'DHP19 at {folder}: subjects 1-{12 - settings.val_people} fit, the last '
              f'{settings.val_people} validate; cameras 2 and 3, read as training asks')
    else:
        samples, person, stream = pose_samples(spec, settings.render('train'),
                                               settings.stride_us)
        data = split_validation(samples, person, stream, settings.val_people)
        del samples
    print(f'{spec.windows.rate_hz} Hz, {spec.windows.steps} steps a window; '
          + ', '.join(f'{split} {len(part[0])} windows' for split, part in data.items()))
    recorded_settings = {'takes': settings.takes, 'take_us': settings.take_us,
                         'people': settings.people, 'ann_epochs': settings.ann_epochs,
                         'snn_epochs': settings.snn_epochs, 'lr': settings.lr,
                         'batch_size': settings.batch_size, 'seed': settings.seed,
                         'max_shift_px': settings.max_shift_px,
                         'partial_views': settings.partial_views, 'data': args.data or 'synthetic',
                         'initializer': args.initializer}   # as given: a shipped name is portable
    stages = StageCheckpoints(out / 'stages', {'spec': spec.to_dict(), **recorded_settings},
                              resume=args.resume)
    if start:
        history = start.metrics.get('history')
        ann_history = history.get('ann', []) if isinstance(history, dict) else []
        ann = start.initializer()
        print(f'stage 1 skipped: the initializer of {start.path}')
    else:
        ann = StateInitializer(spec)
        ann_history = stages.load('ann', [ann])
        if ann_history is None:
            ann, ann_history = train_ann(spec, data, settings)
            stages.save('ann', [ann], ann_history)
    initializer, snn = StateInitializer(spec), PoseSnn(spec)
    hybrid_history = stages.load('hybrid', [initializer, snn])
    if hybrid_history is None:
        initializer, snn, hybrid_history = train_hybrid(spec, ann, data, settings)
        stages.save('hybrid', [initializer, snn], hybrid_history)
    alone, alone_history = train_snn_alone(spec, data, settings)
    histories = {'ann': ann_history, 'hybrid': hybrid_history, 'snn': alone_history}
    metrics = {f'{name}_val_error_px': min(h['val_error_px'] for h in history)
               for name, history in histories.items() if history}
    metrics.update(train_seconds=round(time.perf_counter() - started, 1),
                   settings=recorded_settings, history=histories)
    bundle = save_pose_bundle(out, spec, initializer, {'hybrid': snn, 'alone': alone}, metrics)
    print(json.dumps({k: v for k, v in metrics.items() if k.endswith('_px')}))
    print(f'model folder: {bundle.path}')
    return 0
