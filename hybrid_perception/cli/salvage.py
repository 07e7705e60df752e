"""``hybrid-perception salvage BAG``: the whole messages of a bag whose recorder died, as a bag
every reader opens."""

from __future__ import annotations

import argparse
from pathlib import Path

__all__ = ['add_parser']


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        'salvage', help='mend a bag whose recorder was killed or ran out of disk',
        description='A recorder killed mid-recording (SIGKILL, power loss, a full disk) leaves '
                    'an MCAP bag without its index and metadata.yaml, which no reader opens. '
                    'This copies every whole message up to the damage into a new bag (like '
                    '`ros2 bag reindex`); the damaged one is left as it is.')
    parser.add_argument('bag', type=Path, help='the damaged bag (folder or .mcap file)')
    parser.add_argument('--out', type=Path, default=None,
                        help='the mended bag to create (default: BAG-salvaged)')
    parser.set_defaults(func=salvage)


def salvage(args: argparse.Namespace) -> int:
    from hybrid_perception.io.salvage import salvage_bag
    out = args.out or args.bag.with_name(args.bag.stem + '-salvaged')
    result = salvage_bag(args.bag, out)
    for topic, count in sorted(result.topics.items()):
        print(f'  {topic}: {count} messages')
    for topic, reason in sorted(result.skipped.items()):
        print(f'  {topic}: not saved ({reason})')
    print(f'salvaged {result.messages} messages into {out}; {result.lost_bytes} bytes at the '
          'end were cut off mid-record and are lost')
    return 0
