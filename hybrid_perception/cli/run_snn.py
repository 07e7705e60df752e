"""``hybrid-perception run-snn``: an exported SNN on the torch and Lava runtimes side by side:
spike agreement, speed, counted operations and modelled energy (estimates)."""

from __future__ import annotations

import argparse
from pathlib import Path

__all__ = ['add_parser']


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        'run-snn', help='run an exported SNN on the torch and Lava runtimes; ops and energy',
        description='Stream synthetic clips through an exported network on the torch runtime '
                    'and (unless --no-lava) on Lava, print their spike agreement and speed, the '
                    'counted operations, and modelled energy per platform (estimates).')
    parser.add_argument('network', type=Path, help='network.net written by train/export')
    parser.add_argument('--clips', type=int, default=4, help='clips to stream (default 4)')
    parser.add_argument('--window', type=int, default=10, help='time steps per window')
    parser.add_argument('--no-lava', action='store_true', help='torch runtime only')
    parser.add_argument('--backend', default='auto', choices=['auto', 'sim', 'loihi2'],
                        help="Lava backend: the bit-accurate simulator or a Loihi 2 chip")
    parser.add_argument('--platform', action='append', default=None,
                        help='energy model(s) to print (repeatable; default loihi, loihi2)')
    parser.set_defaults(func=run_snn)


def run_snn(args: argparse.Namespace) -> int:
    from hybrid_perception.datasets.motion import motion_clips_for
    from hybrid_perception.networks.energy import EnergyModel
    from hybrid_perception.networks.snn.compare import as_windows, compare_runtimes
    from hybrid_perception.networks.snn.netx import read_spec

    clips, _ = motion_clips_for(read_spec(args.network).input_shape).generate(args.clips,
                                                                              seed=1234)
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
