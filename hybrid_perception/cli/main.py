"""The ``hybrid-perception`` parser: one subcommand per module of :mod:`hybrid_perception.cli`."""

from __future__ import annotations

import argparse
import sys

from hybrid_perception.cli import (
    convert,
    convert_recording,
    dataset,
    demo,
    evaluate,
    export,
    inspect_recording,
    predict,
    record,
    replay,
    run,
    run_snn,
    salvage,
    simulate,
    train,
)
from hybrid_perception.errors import HybridPerceptionError

__all__ = ['build_parser', 'main']

#: in the order ``--help`` lists them
COMMANDS = (demo, simulate, record, salvage, replay, inspect_recording, convert_recording,
            predict, train, export, run_snn, run, dataset, evaluate, convert)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog='hybrid-perception',
        description='Hybrid SNN/ANN perception on event cameras (ROS 2).')
    sub = parser.add_subparsers(dest='command', required=True)
    for command in COMMANDS:
        command.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (HybridPerceptionError, FileExistsError, ValueError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 2

