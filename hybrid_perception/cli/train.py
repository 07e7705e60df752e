"""``hybrid-perception train motion|gesture|pose|digits``: the motion SNN here; H1's, H2's and
H3's models in :mod:`~hybrid_perception.cli.train_gesture`,
:mod:`~hybrid_perception.cli.train_pose` and :mod:`~hybrid_perception.cli.train_digits`,
whose options join this parser as argument groups."""

from __future__ import annotations

import argparse
from pathlib import Path

from hybrid_perception.cli.train_digits import add_digits_training_arguments, train_digits_command
from hybrid_perception.cli.train_gesture import add_gesture_training_arguments, train_gesture
from hybrid_perception.cli.train_pose import add_pose_training_arguments, train_pose

__all__ = ['add_parser']


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        'train', help='train a model: the motion SNN, the H1 gesture or the H2 pose models',
        description='motion: a SLAYER SNN on synthetic clips of a square moving in one of four '
                    'directions; writes best.pt, last.pt, the NetX export network.net and '
                    'training.png. gesture: H1 on synthetic DVS-Gesture-like clips; writes the '
                    'hybrid SxAy model and the all-ANN and all-SNN baselines (or, with --sweep, '
                    'the seed\'s whole SxAy x I table) as deployable model folders. pose: H2 on '
                    'synthetic DHP19-like takes; writes the ANN state initializer, its SNN and '
                    'the SNN-alone baseline as one model folder. digits: H3\'s LeNet-5 ANN on '
                    'handwritten digits, for `convert`. CPU, or CUDA when present.')
    parser.add_argument('task', nargs='?', default='motion',
                        choices=['motion', 'gesture', 'pose', 'digits'])
    parser.add_argument('--spec', default=None,
                       help='a YAML file or a built-in name (default: the task\'s own)')
    parser.add_argument('--out', type=Path, default=None, help='output folder (default out/TASK)')
    parser.add_argument('--epochs', type=int, default=None,
                       help='default 10 motion, 15 gesture, 8 pose (its SNNs), 30 digits')
    parser.add_argument('--batch-size', type=int, default=16)
    parser.add_argument('--lr', type=float, default=None,
                       help='default 3e-3 motion, 2e-3 gesture, 1e-3 pose, 2e-3 digits')
    parser.add_argument('--seed', type=int, default=0, help='weights, batches and data')
    parser.add_argument('--device', default='auto', help="'auto', 'cpu' or 'cuda'")
    parser.add_argument('--data', default=None,
                        help='training data. gesture: synthetic (default) or dvs-gesture:PATH '
                             '(the real DVS128 Gesture, its extracted DvsGesture folder, its own '
                             'split by subject; --takes and --subjects do not apply); digits: '
                             'pose: synthetic (default) or dhp19:PATH (DHP19 in the seed\'s '
                             'HDF5 layout: subjects 1-12, cameras 2 and 3, the spec pose-dhp19; '
                             '--people, --pose-takes and --take-seconds do not apply); '
                             "digits: digits (scikit-learn's 8x8 digits, up-sampled; default) or "
                             "mnist:FOLDER (MNIST's IDX files)")
    motion = parser.add_argument_group('motion')
    motion.add_argument('--train-clips', type=int, default=1024)
    motion.add_argument('--val-clips', type=int, default=128)
    add_gesture_training_arguments(parser.add_argument_group('gesture'))
    add_pose_training_arguments(parser.add_argument_group('pose'))
    add_digits_training_arguments(parser.add_argument_group('digits'))
    parser.set_defaults(func=train_model)


def train_model(args: argparse.Namespace) -> int:
    if args.task == 'gesture':
        return train_gesture(args)
    if args.task == 'pose':
        return train_pose(args)
    if args.task == 'digits':
        return train_digits_command(args)
    from hybrid_perception.datasets.motion import motion_clips_for
    from hybrid_perception.networks.snn.training import TrainConfig, load_checkpoint, train
    from hybrid_perception.networks.spec import load_spec
    from hybrid_perception.networks.training import plot_history

    args.out = args.out or Path('out/motion')
    spec = load_spec(args.spec or 'motion')
    dataset = motion_clips_for(spec.input_shape)
    train_data = dataset.generate(args.train_clips, seed=args.seed, progress=True)
    val_data = dataset.generate(args.val_clips, seed=args.seed + 1, progress=True)
    config = TrainConfig(epochs=args.epochs or 10, batch_size=args.batch_size,
                         lr=args.lr or 3e-3, seed=args.seed, device=args.device)
    result = train(spec, train_data, val_data, config, args.out)
    network_path = load_checkpoint(result.best_checkpoint).export_hdf5(args.out / 'network.net')
    plot = plot_history(result.history, args.out / 'training.png')
    best = max(result.history, key=lambda s: s.val_accuracy)
    print(f'best validation accuracy {best.val_accuracy:.3f} at epoch {best.epoch} '
          f'(chance {1 / spec.output_shape[0]:.2f})')
    print(f'checkpoint: {result.best_checkpoint}\nNetX export: {network_path}\nplot: {plot}')
    return 0
