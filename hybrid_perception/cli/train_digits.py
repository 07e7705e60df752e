"""``hybrid-perception train digits``: H3's LeNet-5 on handwritten digits (scikit-learn's, or
MNIST with ``--data mnist:FOLDER``), the ANN that ``convert`` turns into an SNN.

Heavy imports happen inside the functions, so ``--help`` stays instant.
"""

from __future__ import annotations

import argparse
from pathlib import Path

__all__ = ['add_digits_training_arguments', 'train_digits_command']


def add_digits_training_arguments(group: argparse._ArgumentGroup) -> None:
    group.add_argument('--input-size', type=int, default=28,
                       help='input side in pixels (default 28, MNIST\'s)')
    group.add_argument('--pooling', choices=['avg', 'max'], default='avg',
                       help='LeNet-5 pooling (default avg, as the seed\'s lab; max converts '
                            'only as average pooling)')
    group.add_argument('--activation', choices=['relu', 'qcfs'], default='relu',
                       help='relu (default), or qcfs: clip-floor-shift (Bu et al. 2022), whose '
                            'learnt thresholds convert accurately in few steps (convert '
                            '--method qcfs)')
    group.add_argument('--levels', type=int, default=8,
                       help='qcfs: quantisation levels, about the time steps it is made for '
                            '(default 8)')
    group.add_argument('--bias', choices=['off', 'on'], default=None,
                       help='biases in the ANN layers. digits: default off (SLAYER/NetX deploy '
                            'none; on converts to a float SNN only); gesture: default on, off '
                            'trains models whose all-ANN cut `convert` deploys on Loihi')


def train_digits_command(args: argparse.Namespace) -> int:
    from hybrid_perception.datasets.digits import load_image_data
    from hybrid_perception.hybrid.conversion.training import LeNetSpec, train_digits
    from hybrid_perception.networks.training import TrainConfig, plot_history

    out = args.out or Path('out/digits')
    data = args.data or 'digits'
    train = load_image_data(data, 'train', args.input_size)
    test = load_image_data(data, 'test', args.input_size)
    print(f'{data}: {len(train)} training and {len(test)} test images, '
          f'{args.input_size}x{args.input_size}')
    config = TrainConfig(epochs=args.epochs or 30, batch_size=args.batch_size,
                         lr=args.lr or 2e-3, seed=args.seed, device=args.device)
    result = train_digits(train, test, out, config,
                          LeNetSpec(args.input_size, 10, args.pooling, args.bias == 'on',
                                    args.activation, args.levels))
    plot_history(result.history, out / 'training.png')
    print(f'best test accuracy {result.best_val_accuracy:.4f}: {result.best_checkpoint}')
    method = ' --method qcfs' if args.activation == 'qcfs' else ''
    print(f'next: hybrid-perception convert {result.best_checkpoint} --data {data}{method} '
          f'--out {out / "converted"}')
    return 0
