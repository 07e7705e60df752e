"""``hybrid-perception convert MODEL``: H3, a trained ANN converted into a spiking network and
scored against it over time steps; writes ``conversion.json`` and ``report.md`` with plots.

Heavy imports happen inside the functions, so ``--help`` stays instant.
"""

from __future__ import annotations

import argparse
from pathlib import Path

__all__ = ['add_parser']


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        'convert', help='H3: convert a trained ANN into an SNN and score it over time steps',
        description='Reads a trained network (a `train digits` checkpoint), rewrites it into '
                    'the chain of convolutions and dense layers a spiking network is (BatchNorm '
                    'and average pooling folded in exactly), balances each layer\'s threshold '
                    'on training images, and runs the integrate-and-fire network on the test '
                    'images for up to the largest --steps: accuracy at every step, spikes and '
                    'synaptic operations per inference, next to the ANN\'s accuracy.')
    parser.add_argument('model', type=Path, help='a checkpoint of `train digits` (best.pt)')
    parser.add_argument('--data', default='digits', help="digits or mnist:FOLDER (default digits)")
    parser.add_argument('--out', type=Path, default=Path('out/converted'),
                        help='output folder (default out/converted)')
    parser.add_argument('--method', choices=['max', 'percentile'], default='percentile',
                        help='threshold balancing: the layer\'s largest activation, or its '
                             '99.9th percentile (default; Rueckauer et al. 2017)')
    parser.add_argument('--steps', type=int, nargs='+', default=[8, 16, 32, 64, 128],
                        help='time steps to report (one run to the largest gives them all)')
    parser.add_argument('--reset', choices=['subtract', 'zero'], default='subtract',
                        help='after a spike: subtract the threshold (default) or reset to zero '
                             '(Loihi CUBA)')
    parser.add_argument('--coding', choices=['analog', 'poisson'], default='analog',
                        help='image input: a constant current (default) or Poisson spikes')
    parser.add_argument('--initial-voltage', type=float, default=0.0,
                        help='neurons start at this fraction of the threshold (0.5 centres the '
                             'rate-coding error, Bu et al. 2022); default 0')
    parser.add_argument('--max-pool', choices=['refuse', 'average'], default='refuse',
                        help='max pooling: refuse (default) or convert as average pooling')
    parser.add_argument('--calibration', type=int, default=500,
                        help='training images the thresholds are balanced on (default 500)')
    parser.set_defaults(func=convert)


def convert(args: argparse.Namespace) -> int:
    import json

    from tqdm import tqdm

    from hybrid_perception.datasets.digits import load_image_data
    from hybrid_perception.hybrid.conversion.evaluation import ann_accuracy, run_spiking
    from hybrid_perception.hybrid.conversion.model import linear_chain
    from hybrid_perception.hybrid.conversion.normalization import activation_scales, normalize
    from hybrid_perception.hybrid.conversion.report import write_report
    from hybrid_perception.hybrid.conversion.training import load_digits_net

    if any(s < 1 for s in args.steps):
        raise ValueError('--steps must be positive')
    model = load_digits_net(args.model)
    size = model.spec.input_size
    calibration = load_image_data(args.data, 'train', size)
    test = load_image_data(args.data, 'test', size)
    chain = linear_chain(model, (1, size, size), max_pool=args.max_pool)
    print(f'{args.model}: {len(chain)} layers to convert '
          f'({", ".join("conv" if layer.conv else "dense" for layer in chain)})')
    scales = activation_scales(chain, calibration.images[:args.calibration], args.method)
    converted = normalize(chain, scales)
    ann = ann_accuracy(chain, test.images, test.labels)
    print(f'ANN test accuracy {ann:.4f} on {len(test)} images; thresholds balanced by '
          f'{args.method} on {min(args.calibration, len(calibration))} training images')
    steps = max(args.steps)
    with tqdm(total=len(test), desc=f'SNN, {steps} steps', unit='image') as bar:
        result = run_spiking(converted, test.images, test.labels, steps, reset=args.reset,
                             coding=args.coding, initial_voltage=args.initial_voltage,
                             progress=bar)
    settings = {'method': args.method, 'reset': args.reset, 'coding': args.coding,
                'initial_voltage': args.initial_voltage, 'max_pool': args.max_pool,
                'data': args.data, 'scales': scales}
    summary = write_report(args.out, ann, result, sorted(set(args.steps)), settings, chain)
    for row in summary['snn']:
        print(f'  {row["steps"]:5d} steps: accuracy {row["accuracy"]:.4f}, '
              f'{row["synaptic_ops"]:.0f} synaptic ops per image')
    print(f'wrote {args.out / "conversion.json"} and {args.out / "report.md"}')
    print(json.dumps({'ann': summary['ann'], 'steps_to_ann_minus_1': summary['steps_to'][
        'ann_minus_1_point']}))
    return 0
