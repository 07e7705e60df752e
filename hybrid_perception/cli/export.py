"""``hybrid-perception export``: a training checkpoint as a NetX HDF5 network (the file Lava
and Loihi run)."""

from __future__ import annotations

import argparse
from pathlib import Path

__all__ = ['add_parser']


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser('export', help='write a checkpoint as a NetX HDF5 network')
    parser.add_argument('checkpoint', type=Path, help='best.pt or last.pt from train')
    parser.add_argument('-o', '--out', type=Path, default=None,
                        help='HDF5 file to write (default: network.net beside the checkpoint)')
    parser.set_defaults(func=export_checkpoint)


def export_checkpoint(args: argparse.Namespace) -> int:
    from hybrid_perception.networks.snn.training import load_checkpoint

    out = args.out or args.checkpoint.with_name('network.net')
    if not args.checkpoint.is_file():
        raise ValueError(f'no checkpoint at {args.checkpoint}')
    print(f'NetX export: {load_checkpoint(args.checkpoint).export_hdf5(out)}')
    return 0
