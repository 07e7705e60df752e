"""Two "hosts" on one machine: Linux network namespaces joined by a veth pair, DDS discovery
multicast routed over the link, as between the Loihi host and the Jetson. What the split
graph's tests and its benchmark run on. Needs root and iproute2; the addresses exist only on
the link made here, and both namespaces (the link with them) are removed on the way out."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ['two_hosts']


@contextmanager
def two_hosts(prefix: str, octet: int) -> Iterator[tuple[str, str, str]]:
    """Namespaces ``<prefix><tag>a`` and ``...b`` on ``10.<octet>.<tag % 250>.0/24``, named
    and numbered by this process (parallel processes never share one); yields their names and
    the first one's end of the link."""
    tag = os.getpid() % 100_000
    a, b, link, peer = (f'{prefix}{tag}{end}' for end in ('a', 'b', 'va', 'vb'))
    subnet = f'10.{octet}.{tag % 250}'
    commands = [
        f'netns add {a}', f'netns add {b}',
        f'link add {link} type veth peer name {peer}',
        f'link set {link} netns {a}', f'link set {peer} netns {b}',
        f'-n {a} addr add {subnet}.1/24 dev {link}', f'-n {b} addr add {subnet}.2/24 dev {peer}',
        f'-n {a} link set lo up', f'-n {b} link set lo up',
        f'-n {a} link set {link} up', f'-n {b} link set {peer} up',
        f'-n {a} route add 224.0.0.0/4 dev {link}', f'-n {b} route add 224.0.0.0/4 dev {peer}',
    ]
    try:
        for command in commands:
            subprocess.run(['ip', *command.split()], check=True, capture_output=True)
        yield a, b, link
    finally:
        for name in (a, b):
            subprocess.run(['ip', 'netns', 'del', name], capture_output=True)
