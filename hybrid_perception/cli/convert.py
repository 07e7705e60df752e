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
    parser.add_argument('model', type=Path,
                        help='a checkpoint of `train digits` (best.pt), an ONNX file of a '
                             'sequential image classifier exported by any tool, or H1\'s '
                             'all-ANN gesture model (gesture/ann, or a folder of one): then '
                             'set against the trained SNN and the hybrid, and, trained without '
                             'biases (train gesture --bias off), written as a gesture model '
                             'folder the gesture graph runs')
    parser.add_argument('--data', default='digits', help="digits or mnist:FOLDER (default digits)")
    parser.add_argument('--out', type=Path, default=Path('out/converted'),
                        help='output folder: a model folder image_classifier_node runs, with '
                             'conversion.json and report.md (default out/converted)')
    parser.add_argument('--method', choices=['max', 'percentile', 'qcfs'], default='percentile',
                        help='threshold balancing: the layer\'s largest activation, its 99.9th '
                             'percentile (default; Rueckauer et al. 2017), or the thresholds a '
                             'QCFS network learnt (train digits --activation qcfs; Bu et al. '
                             '2022)')
    parser.add_argument('--steps', type=int, nargs='+', default=[8, 16, 32, 64, 128],
                        help='time steps to report (one run to the largest gives them all)')
    parser.add_argument('--reset', choices=['subtract', 'zero'], default='subtract',
                        help='after a spike: subtract the threshold (default) or reset to zero '
                             '(Loihi CUBA)')
    parser.add_argument('--coding', choices=['analog', 'poisson', 'events'], default=None,
                        help='input: a constant current (default for images), Poisson spikes, '
                             'or the events themselves (default for gestures)')
    parser.add_argument('--bias', choices=['keep', 'drop'], default='keep',
                        help='biases: kept as a constant current (default; the float SNN) or '
                             'dropped (what SLAYER/NetX deploy; its cost is measured)')
    parser.add_argument('--gesture-takes', type=int, default=4,
                        help='gesture: test clips per subject and gesture (default 4)')
    parser.add_argument('--gesture-subjects', type=int, default=None,
                        help='gesture: the last N test subjects only (a quick look; default '
                             'all 6)')
    parser.add_argument('--initial-voltage', type=float, default=None,
                        help='neurons start at this fraction of the threshold (0.5 centres the '
                             'rate-coding error, Bu et al. 2022); default 0.5 with --method '
                             'qcfs, else 0')
    parser.add_argument('--max-pool', choices=['refuse', 'average'], default='refuse',
                        help='max pooling: refuse (default) or convert as average pooling')
    parser.add_argument('--calibration', type=int, default=500,
                        help='training images the thresholds are balanced on (default 500)')
    parser.add_argument('--test-images', type=int, default=None,
                        help='score on the first N test images only (a quick look; default all)')
    parser.add_argument('--deploy', choices=['auto', 'off'], default='auto',
                        help='auto (default): a network without biases is also built as the '
                             'SLAYER/NetX network Loihi runs (8-bit weights, reset to zero, '
                             'spike input), scored, exported as network.net and run on torch '
                             'and Lava side by side; off: the float SNN only')
    parser.add_argument('--default-steps', type=int, default=None,
                        help='time steps the model folder runs at (default: the fewest of '
                             '--steps within 1 point of the ANN on the Loihi build; gestures: '
                             'on the float SNN, rounded to whole intervals)')
    parser.add_argument('--weight-bits', type=int, default=8,
                        help='the Loihi build\'s signed weight bits, 2..8 (default 8, SLAYER\'s '
                             'and Loihi\'s)')
    parser.add_argument('--exponent', choices=['layer', 'shared'], default='layer',
                        help='weight exponent: one per layer (default; each layer\'s weights '
                             'span all their bits) or one for the network')
    parser.add_argument('--techniques', action='store_true',
                        help='also measure the deployment techniques one at a time from these '
                             'settings (threshold balancing, bias, reset, coding, initial '
                             'voltage on the float SNN; weight exponent, weight bits, early '
                             'decision on the Loihi build) and their best combination: a table '
                             'in report.md and conversion.json (about 10 more runs)')
    parser.add_argument('--agreement-images', type=int, default=5,
                        help='test images (gestures: windows of the first test clip) streamed '
                             'through both torch and Lava (default 5; Lava\'s CPU simulation '
                             'is slow)')
    parser.set_defaults(func=convert)


def convert(args: argparse.Namespace) -> int:
    import json
    from dataclasses import replace

    import numpy as np
    from tqdm import tqdm

    from hybrid_perception.datasets.digits import load_image_data
    from hybrid_perception.hybrid.conversion.evaluation import ann_accuracy, run_spiking
    from hybrid_perception.hybrid.conversion.model import linear_chain
    from hybrid_perception.hybrid.conversion.normalization import activation_scales, normalize
    from hybrid_perception.hybrid.conversion.report import write_report
    from hybrid_perception.hybrid.conversion.training import read_ann

    if any(s < 1 for s in args.steps):
        raise ValueError('--steps must be positive')
    if _is_gesture_model(args.model):
        from hybrid_perception.cli.convert_gesture import convert_gesture
        if args.initial_voltage is None:
            args.initial_voltage = 0.0
        return convert_gesture(args)
    if args.coding == 'events':
        raise ValueError('--coding events is for event models (gesture/ann); images are '
                         'analog or poisson')
    args.coding = args.coding or 'analog'
    if args.initial_voltage is None:
        args.initial_voltage = 0.5 if args.method == 'qcfs' else 0.0
    if args.default_steps is not None and not 1 <= args.default_steps <= max(args.steps):
        raise ValueError(f'--default-steps must be between 1 and {max(args.steps)}')
    model, shape = read_ann(args.model)
    size = shape[-1]
    calibration = load_image_data(args.data, 'train', size)
    test = load_image_data(args.data, 'test', size)
    if args.test_images is not None:
        test = type(test)(test.images[:args.test_images], test.labels[:args.test_images])
    read = linear_chain(model, shape, max_pool=args.max_pool)
    chain = read if args.bias == 'keep' else [
        replace(layer, bias=np.zeros_like(layer.bias)) for layer in read]
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
                'bias': args.bias, 'weight_bits': args.weight_bits, 'exponent': args.exponent,
                'data': args.data, 'scales': scales}
    deployed = None
    if args.deploy == 'auto' and not any(layer.bias.any() for layer in chain):
        deployed = _deploy(converted, model, test, steps, ann, args)
    elif args.deploy == 'auto':
        print('not deployed: the network has biases, which SLAYER/NetX blocks do not carry '
              '(train digits --bias off)')
    techniques = _techniques(read, calibration, test, ann, steps, args) \
        if args.techniques else None
    summary = write_report(args.out, ann, result, sorted(set(args.steps)), settings, chain,
                           deployed, techniques)
    for row in summary['snn']:
        if not row['quantized']:
            print(f'  {row["steps"]:5d} steps: accuracy {row["accuracy"]:.4f}, '
                  f'{row["synaptic_ops"]:.0f} synaptic ops per image')
    for row in summary['snn']:
        if row['quantized']:
            print(f'  {row["steps"]:5d} steps on Loihi\'s fixed point: accuracy '
                  f'{row["accuracy"]:.4f}')
    if deployed is not None:
        print(f'torch and Lava on the exported network: spike agreement '
              f'{deployed["spike_agreement"]:.6f} over {args.agreement_images} images')
        print(f'model folder {args.out} (runs at {deployed["steps"]} steps by default): '
              f'image_classifier_node model:={args.out}')
    print(f'wrote {args.out / "conversion.json"} and {args.out / "report.md"}')
    print(json.dumps({'ann': summary['ann'], 'steps_to_ann_minus_1': summary['steps_to'][
        'ann_minus_1_point']}))
    return 0


def _is_gesture_model(model: Path) -> bool:
    """An H1 model folder (or shipped name): its model.yaml says how events are binned."""
    import yaml

    from hybrid_perception.hybrid.common import model_folder
    description = model_folder(model) / 'model.yaml'
    if not description.is_file():
        return False
    try:
        return 'binning' in (yaml.safe_load(description.read_text()) or {})
    except yaml.YAMLError:
        return False


def _deploy(converted, model, test, steps: int, ann: float, args: argparse.Namespace) -> dict:
    """The Loihi build: scored on every test image, written as a model folder (its default
    steps the fewest of --steps within 1 point of the ANN, else the most), streamed through
    both runtimes."""
    from tqdm import tqdm

    from hybrid_perception.hybrid.conversion.bundle import coded_images, save_converted
    from hybrid_perception.hybrid.conversion.loihi_build import (
        deployable_network,
        deployed_activity,
        run_deployed,
    )
    from hybrid_perception.networks.snn.compare import compare_runtimes

    network = deployable_network(converted, args.weight_bits, args.exponent)
    with tqdm(total=len(test), desc=f'Loihi fixed point, {steps} steps', unit='image') as bar:
        accuracy, counts = run_deployed(network, test.images, test.labels, steps, progress=bar)
    spikes, ops = deployed_activity(network, test.images[:100], steps)
    good = [t for t in sorted(args.steps) if accuracy[t - 1] >= ann - 0.01]
    default = args.default_steps or (good[0] if good else max(args.steps))
    bundle = save_converted(args.out, network, model, default, [str(c) for c in range(10)],
                            {'ann_accuracy': ann, 'snn_accuracy': float(accuracy[default - 1]),
                             'data': args.data, 'method': args.method,
                             'weight_bits': args.weight_bits, 'exponent': args.exponent})
    path = bundle.snn_path
    images = test.images[:args.agreement_images]
    print(f'torch and Lava, {len(images)} images of {steps + bundle.flush_steps} steps ...')
    comparison = compare_runtimes(path, coded_images(images, steps, bundle.flush_steps))
    return {'accuracy': accuracy, 'spikes_out': counts, 'network': path, 'steps': default,
            'spikes': spikes, 'synaptic_ops': ops,
            'thresholds': [layer.threshold for layer in network.spec.layers],
            'spike_agreement': comparison.agreement}


def _techniques(chain, calibration, test, ann: float, steps: int, args: argparse.Namespace
                ) -> dict:
    from hybrid_perception.hybrid.conversion.techniques import Settings, compare_techniques
    baseline = Settings(method=args.method, bias=args.bias, reset=args.reset,
                        coding=args.coding, initial_voltage=args.initial_voltage,
                        exponent=args.exponent, weight_bits=args.weight_bits)
    print(f'deployment techniques, one at a time from {baseline}:')
    techniques = compare_techniques(chain, calibration.images[:args.calibration], test.images,
                                    test.labels, ann, steps, baseline,
                                    progress=lambda text: print(f'  {text}', flush=True))
    for row in techniques['rows']:
        print(f'  {row.technique:<20} {row.setting:<10.60} {row.network:<6} steps to ANN-1 '
              f'{row.steps_to_target!s:>4}, accuracy {row.accuracy:.4f} at {row.steps:.1f} '
              f'steps, {row.energy_uj:.4g} uJ (ESTIMATE)')
    return techniques
