"""The options every command reading a recording shares, and opening it from them."""

from __future__ import annotations

import argparse

from hybrid_perception.events.array import SensorSize

__all__ = ['add_recording_options', 'open_from_options']


def _size(text: str) -> SensorSize:
    try:
        width, height = (int(v) for v in text.lower().split('x'))
        return SensorSize(width, height)
    except ValueError as err:
        raise argparse.ArgumentTypeError(f'expected WIDTHxHEIGHT (e.g. 346x260), got {text!r}'
                                         ) from err


def add_recording_options(parser: argparse.ArgumentParser) -> None:
    from hybrid_perception.io.recordings import FORMATS
    group = parser.add_argument_group('reading the recording')
    group.add_argument('--format', default='auto', choices=('auto', *FORMATS),
                       help='recording format (default: recognised by content)')
    group.add_argument('--sensor', type=_size, default=None, metavar='WxH',
                       help='sensor size, for files that give none (CSV, npy, N-MNIST .bin)')
    group.add_argument('--group', default=None, help='HDF5 group of the events')
    group.add_argument('--topic', default=None, help="a bag's events topic")


def open_from_options(path: str, args: argparse.Namespace):
    from hybrid_perception.io.recordings import open_recording
    return open_recording(path, format=args.format, sensor=args.sensor, group=args.group,
                          topic=args.topic)
