"""The SNN subcommands of ``hybrid-perception``: train, export, run-snn.

Heavy imports (torch, Lava) happen inside the commands, so ``--help`` stays instant.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from hybrid_perception.commands.gesture import add_gesture_training_arguments, train_gesture
from hybrid_perception.commands.pose import add_pose_training_arguments, train_pose

__all__ = ['add_commands']


def add_commands(sub: argparse._SubParsersAction) -> None:
    train = sub.add_parser(
        'train', help='train a model: the motion SNN, the H1 gesture or the H2 pose models',
        description='motion: a SLAYER SNN on synthetic clips of a square moving in one of four '
                    'directions; writes best.pt, last.pt, the NetX export network.net and '
                    'training.png. gesture: H1 on synthetic DVS-Gesture-like clips; writes the '
                    'hybrid SxAy model and the all-ANN and all-SNN baselines (or, with --sweep, '
                    'the seed\'s whole SxAy x I table) as deployable model folders. pose: H2 on '
                    'synthetic DHP19-like takes; writes the ANN state initialiser, its SNN and '
                    'the SNN-alone baseline as one model folder. CPU, or CUDA when present.')
    train.add_argument('task', nargs='?', default='motion', choices=['motion', 'gesture', 'pose'])
    train.add_argument('--spec', default=None,
                       help='a YAML file or a built-in name (default: the task\'s own)')
    train.add_argument('--out', type=Path, default=None, help='output folder (default out/TASK)')
    train.add_argument('--epochs', type=int, default=None,
                       help='default 10 motion, 15 gesture, 8 pose (its SNNs)')
    train.add_argument('--batch-size', type=int, default=16)
    train.add_argument('--lr', type=float, default=None,
                       help='default 3e-3 motion, 2e-3 gesture, 1e-3 pose')
    train.add_argument('--seed', type=int, default=0, help='weights, batches and data')
    train.add_argument('--device', default='auto', help="'auto', 'cpu' or 'cuda'")
    motion = train.add_argument_group('motion')
    motion.add_argument('--train-clips', type=int, default=1024)
    motion.add_argument('--val-clips', type=int, default=128)
    add_gesture_training_arguments(train.add_argument_group('gesture'))
    add_pose_training_arguments(train.add_argument_group('pose'))
    train.set_defaults(func=_train)

    export = sub.add_parser('export', help='write a checkpoint as a NetX HDF5 network')
    export.add_argument('checkpoint', type=Path, help='best.pt or last.pt from train')
    export.add_argument('-o', '--out', type=Path, default=None,
                        help='HDF5 file to write (default: network.net beside the checkpoint)')
    export.set_defaults(func=_export)

    run = sub.add_parser(
        'run-snn', help='run an exported SNN on the torch and Lava runtimes; ops and energy',
        description='Stream synthetic clips through an exported network on the torch runtime '
                    'and (unless --no-lava) on Lava, print their spike agreement and speed, the '
                    'counted operations, and modelled energy per platform (estimates).')
    run.add_argument('network', type=Path, help='network.net written by train/export')
    run.add_argument('--clips', type=int, default=4, help='clips to stream (default 4)')
    run.add_argument('--window', type=int, default=10, help='time steps per window')
    run.add_argument('--no-lava', action='store_true', help='torch runtime only')
    run.add_argument('--backend', default='auto', choices=['auto', 'sim', 'loihi2'],
                     help="Lava backend: the bit-accurate simulator or a Loihi 2 chip")
    run.add_argument('--platform', action='append', default=None,
                     help='energy model(s) to print (repeatable; default loihi, loihi2)')
    run.set_defaults(func=_run_snn)


def _train(args: argparse.Namespace) -> int:
    if args.task == 'gesture':
        return train_gesture(args)
    if args.task == 'pose':
        return train_pose(args)
    from hybrid_perception.networks.snn.training import TrainConfig, load_checkpoint, train
    from hybrid_perception.networks.spec import load_spec

    args.out = args.out or Path('out/motion')
    spec = load_spec(args.spec or 'motion')
    dataset = _motion_clips_for(spec)
    train_data = dataset.generate(args.train_clips, seed=args.seed, progress=True)
    val_data = dataset.generate(args.val_clips, seed=args.seed + 1, progress=True)
    config = TrainConfig(epochs=args.epochs or 10, batch_size=args.batch_size,
                         lr=args.lr or 3e-3, seed=args.seed, device=args.device)
    result = train(spec, train_data, val_data, config, args.out)
    network_path = load_checkpoint(result.best_checkpoint).export_hdf5(args.out / 'network.net')
    plot = _plot_history(result.history, args.out / 'training.png')
    best = max(result.history, key=lambda s: s.val_accuracy)
    print(f'best validation accuracy {best.val_accuracy:.3f} at epoch {best.epoch} '
          f'(chance {1 / spec.output_shape[0]:.2f})')
    print(f'checkpoint: {result.best_checkpoint}\nNetX export: {network_path}\nplot: {plot}')
    return 0


def _export(args: argparse.Namespace) -> int:
    from hybrid_perception.networks.snn.training import load_checkpoint

    out = args.out or args.checkpoint.with_name('network.net')
    if not args.checkpoint.is_file():
        raise ValueError(f'no checkpoint at {args.checkpoint}')
    print(f'NetX export: {load_checkpoint(args.checkpoint).export_hdf5(out)}')
    return 0


def _run_snn(args: argparse.Namespace) -> int:
    from hybrid_perception.networks.energy import EnergyModel
    from hybrid_perception.networks.snn.compare import as_windows, compare_runtimes
    from hybrid_perception.networks.snn.model import read_spec

    clips, _ = _motion_clips_for(read_spec(args.network)).generate(args.clips, seed=1234)
    windows = as_windows(clips, args.window)
    result = compare_runtimes(args.network, windows, lava=not args.no_lava,
                              backend=args.backend)
    print(f'{result.steps} time steps in {len(windows)} windows of {args.window}')
    print(f'torch runtime: {result.torch_steps_per_s:,.0f} steps/s, '
          f'{int(result.torch_output.sum())} output spikes')
    if result.lava_output is not None:
        print(f'lava runtime ({result.lava_backend}): {result.lava_steps_per_s:,.0f} steps/s, '
              f'{int(result.lava_output.sum())} output spikes, spike agreement '
              f'{result.agreement:.6f}')
    counted = {k: v for k, v in result.ops.as_dict().items() if v}
    print('operations: ' + ', '.join(f'{k} {v:,}' for k, v in counted.items()))
    seconds = result.steps * 1e-3  # one time step per millisecond of events
    for platform in args.platform or ['loihi', 'loihi2']:
        print(f'  {EnergyModel(platform).estimate(result.ops, seconds)}')
    return 0 if result.agreement in (None, 1.0) else 1


def _motion_clips_for(spec):
    """The synthetic motion clips, if the network takes their shape (they are all we have)."""
    from hybrid_perception.datasets.motion import MovingSquareClips

    dataset = MovingSquareClips()
    shape = (2, dataset.sensor.height, dataset.sensor.width)
    if spec.input_shape != shape:
        raise ValueError(f'the motion clips are {shape}; the network takes {spec.input_shape}')
    return dataset


def _plot_history(history, path: Path) -> Path:
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    epochs = [s.epoch for s in history]
    fig, (loss, accuracy) = plt.subplots(1, 2, figsize=(9, 3.5))
    loss.plot(epochs, [s.loss for s in history], marker='o')
    loss.set(xlabel='epoch', ylabel='spike-rate loss per clip', title='training loss')
    accuracy.plot(epochs, [s.train_accuracy for s in history], marker='o', label='train')
    accuracy.plot(epochs, [s.val_accuracy for s in history], marker='o', label='validation')
    accuracy.set(xlabel='epoch', ylabel='accuracy', ylim=(0, 1), title='accuracy')
    accuracy.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
