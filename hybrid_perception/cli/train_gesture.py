"""``hybrid-perception train gesture``: H1's models, or the seed's whole SxAy x I table.

Heavy imports happen inside the functions, so ``--help`` stays instant.
"""

from __future__ import annotations

import argparse
import json
import os
from dataclasses import replace
from pathlib import Path

__all__ = ['add_gesture_training_arguments', 'dvs_gesture_folder', 'models_to_train',
           'train_gesture']

SWEEP_SPIKING = (1, 2, 3, 4)   # Seekings et al.: S1A5 .. S4A2
SWEEP_INTERVALS = (2, 4, 8)


def add_gesture_training_arguments(group: argparse._ArgumentGroup) -> None:
    group.add_argument('--spiking', type=int, default=None,
                       help="x of SxAy: how many layers spike (default: the spec's, 2)")
    group.add_argument('--interval', type=int, default=None,
                       help="I: time steps (10 ms) the accumulator sums (default: the spec's, 4)")
    group.add_argument('--sweep', action='store_true',
                       help=f'train the seed\'s table: x in {SWEEP_SPIKING} for I in '
                            f'{SWEEP_INTERVALS}, and both baselines per I')
    group.add_argument('--intervals', type=int, nargs='+', default=None, metavar='I',
                       help='the sweep\'s intervals only (default all): processes sweeping '
                            'different intervals into one --out share the work between cores')
    group.add_argument('--no-baselines', action='store_true',
                       help='skip the all-SNN baseline (the all-ANN one is still trained: the '
                            'spiking cuts start from it)')
    group.add_argument('--from-scratch', action='store_true',
                       help='start the spiking cuts from random weights, not the all-ANN cut')
    group.add_argument('--finetune-epochs', type=int, default=8,
                       help='epochs of the cuts started from the all-ANN cut (default 8)')
    group.add_argument('--finetune-lr', type=float, default=5e-4,
                       help='their learning rate (default 5e-4)')
    group.add_argument('--synops-weight', type=float, default=0.0,
                       help='loss per 1e5 synaptic operations per decision in the spiking head: '
                            'trades accuracy for estimated energy on Loihi (default 0, off)')
    group.add_argument('--resume', action='store_true',
                       help='keep every model already trained in --out (a folder with its '
                            'model.yaml) and train only the rest: a sweep can span sessions; '
                            'pose: keep the stages already finished in --out/stages (trained '
                            'with the same spec and settings) and train from the next')
    group.add_argument('--takes', type=int, default=8,
                       help='clips per training subject and gesture (default 8)')
    group.add_argument('--test-takes', type=int, default=4,
                       help='clips per test subject and gesture (default 4)')
    group.add_argument('--subjects', type=int, default=23,
                       help='training subjects rendered, the last ones (default all 23: 20 fit, '
                            '3 validate; 4 makes a quick smoke run)')


def train_gesture(args: argparse.Namespace) -> int:
    from hybrid_perception.hybrid.gesture.bundle import load_bundle
    from hybrid_perception.hybrid.gesture.training import (
        GestureTraining,
        calibrate_bundle,
        gesture_data,
        train_model,
    )

    if not 3 < args.subjects <= 23:
        raise ValueError(f'--subjects must be 4..23 (3 of them validate), got {args.subjects}')
    settings = GestureTraining(takes=args.takes, test_takes=args.test_takes,
                               subjects=args.subjects,
                               epochs=args.epochs or 15, batch_size=args.batch_size,
                               lr=args.lr or 2e-3, start_from_ann=not args.from_scratch,
                               finetune_epochs=args.finetune_epochs,
                               finetune_lr=args.finetune_lr, synops_weight=args.synops_weight,
                               seed=args.seed, device=args.device)
    specs = models_to_train(args)
    out = args.out or Path('out/gesture')
    source = args.data or 'synthetic'
    data = gesture_data(settings, _cache_path(), dvs_gesture=dvs_gesture_folder(source),
                        progress=True)
    print(f'{source}: ' + ', '.join(f'{split} {len(labels)} clips'
                                      for split, (_, labels) in data.items()))
    rows, ann_by_interval = [], {}
    for i, spec in enumerate(specs, start=1):
        folder = out / f'I{spec.interval}' / spec.name if args.sweep else out / spec.kind
        start = ann_by_interval.get(spec.interval) if settings.start_from_ann else None
        print(f'[{i}/{len(specs)}] {spec.name} ({spec.kind}), I = {spec.interval}'
              + (f', starting from {start.spec.name}' if start is not None else ''))
        if args.resume and (folder / 'model.yaml').is_file():
            bundle = load_bundle(folder)
            print(f'  kept, already trained in {folder}')
            if 'temperature' not in bundle.metrics:
                bundle = calibrate_bundle(bundle, data, settings)
        else:
            bundle = train_model(spec, data, settings, folder, start_from=start)
        if spec.spiking == 0:
            ann_by_interval[spec.interval] = bundle.model()
        rows.append({'model': spec.name, 'kind': spec.kind, 'interval': spec.interval,
                     'path': str(folder), **{k: v for k, v in bundle.metrics.items()
                                             if k != 'history'}})
        print(f'  test accuracy {bundle.metrics["test_accuracy"]:.3f}, as one stream '
              f'{bundle.metrics["stream_test_accuracy"]:.3f} (validation '
              f'{bundle.metrics["val_accuracy"]:.3f}, epoch {bundle.metrics["epoch"]}) -> '
              f'{folder}')
        m = bundle.metrics
        print(f'  calibration: temperature {m["temperature"]:.3f}, test ECE '
              f'{m["test_ece"]:.3f} -> {m["test_ece_calibrated"]:.3f}; min_confidence '
              f'{m["min_confidence"]:.3f} declines {m["test_wrong_declined"]:.1%} of the wrong '
              f'test decisions and {m["test_right_declined"]:.1%} of the right ones')
    (out / 'summary.json').write_text(json.dumps(rows, indent=1))
    print(_table(rows))
    print(f'summary: {out / "summary.json"}')
    return 0


def models_to_train(args: argparse.Namespace) -> list:
    """The cuts the arguments ask for, in training order (each interval's all-ANN cut first:
    the others start from it)."""
    from hybrid_perception.hybrid.gesture.spec import load_hybrid_spec
    from hybrid_perception.hybrid.gesture.training import sweep_specs

    base = load_hybrid_spec(args.spec or 'gesture')
    base = replace(base.cut(base.spiking if args.spiking is None else args.spiking,
                            args.interval or base.interval), bias=args.bias != 'off')
    if args.sweep:
        return sweep_specs(base, SWEEP_SPIKING, args.intervals or SWEEP_INTERVALS)
    cuts = [0, base.spiking] if args.no_baselines else [0, base.spiking, len(base.layers)]
    return [base.cut(x) for x in dict.fromkeys(cuts)]


def _table(rows: list[dict]) -> str:
    lines = ['| model | kind | I | test accuracy | as one stream | validation accuracy | epoch '
             '| started from | train s |', '|---|---|---|---|---|---|---|---|---|']
    lines += [f'| {r["model"]} | {r["kind"]} | {r["interval"]} | {r["test_accuracy"]:.3f} | '
              f'{r["stream_test_accuracy"]:.3f} | {r["val_accuracy"]:.3f} | {r["epoch"]} | '
              f'{r["started_from"]} | {r["train_seconds"]:.0f} |' for r in rows]
    return '\n'.join(lines)


def _cache_path() -> Path:
    """Rendered clips are kept beside the virtual environment's cache (scripts/with-venv.sh's
    rule: $HYBRID_PERCEPTION_CACHE, else $XDG_CACHE_HOME/hybrid_perception, else ~/.cache/...)."""
    xdg = Path(os.environ.get('XDG_CACHE_HOME', Path.home() / '.cache'))
    root = Path(os.environ.get('HYBRID_PERCEPTION_CACHE', xdg / 'hybrid_perception'))
    return root / 'gesture-clips.npz'


def dvs_gesture_folder(data: str, option: str = '--data') -> Path | None:
    """The DvsGesture folder of ``dvs-gesture:PATH``; None for ``synthetic``."""
    if data == 'synthetic':
        return None
    kind, _, path = data.partition(':')
    if kind != 'dvs-gesture' or not path:
        raise ValueError(f'{option} must be synthetic or dvs-gesture:PATH, got {data!r}')
    return Path(path)
