"""Events in HDF5: DHP19's layout, DSEC's, and any group of x / y / t / p columns, via h5py.

- DHP19 (the H2 seed's conversion): ``cam<i>_events/{x, y, t, p}``, x and y 1-based on the
  346x260 DAVIS346; ``group`` picks the camera (default ``cam0_events``);
- DSEC: ``events/{x, y, t, p}`` with t in µs after the file's ``t_offset``, on 640x480;
- otherwise the group named by ``group``, or the first group holding the four columns; the
  sensor size from the group's or the file's ``width`` / ``height`` attributes, else given.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from hybrid_perception.events.array import SensorSize, make_events
from hybrid_perception.io.recordings.reading import broken

__all__ = ['MAGIC', 'Hdf5Reader']

MAGIC = b'\x89HDF\r\n\x1a\n'
FORMAT = 'HDF5 events'
_T, _P = ('t', 'ts', 'timestamp'), ('p', 'polarity')
_ROWS = 1 << 20


def _columns(group) -> dict[str, str] | None:
    keys = set(group.keys())
    t = next((k for k in _T if k in keys), None)
    p = next((k for k in _P if k in keys), None)
    if t and p and {'x', 'y'} <= keys:
        return {'t': t, 'x': 'x', 'y': 'y', 'p': p}
    return None


class Hdf5Reader:
    """One HDF5 file's events of one group, a million rows a chunk."""

    def __init__(self, path: str | Path, group: str | None = None,
                 sensor: SensorSize | None = None) -> None:
        import h5py
        self.path = Path(path)
        self.format = FORMAT
        try:
            with h5py.File(self.path, 'r') as handle:
                self.group = group or self._find(handle)
                if self.group not in handle or _columns(handle[self.group]) is None:
                    raise broken(self.path, FORMAT, f'no group {self.group!r} with x, y, t and p '
                                                    f'columns')
                node = handle[self.group]
                self._names = _columns(node)
                lengths = {node[c].shape[0] for c in self._names.values()}
                self._rows = min(lengths)
                self._ragged = len(lengths) > 1
                self._t_offset = int(np.asarray(handle['t_offset'])) if 't_offset' in handle \
                    else 0
                attrs = {**handle.attrs, **node.attrs}
        except OSError as err:
            raise broken(self.path, FORMAT, f'not a readable HDF5 file: {err}') from err
        self._one_based = bool(re.fullmatch(r'cam\d_events', self.group))
        if self._one_based:
            self.format, sensor = f'{FORMAT} (DHP19)', SensorSize(346, 260)
        elif self.group == 'events' and self._t_offset:
            self.format, sensor = f'{FORMAT} (DSEC)', SensorSize(640, 480)
        elif 'width' in attrs and 'height' in attrs:
            sensor = SensorSize(int(attrs['width']), int(attrs['height']))
        self.sensor = sensor

    @staticmethod
    def _find(handle) -> str:
        found: list[str] = []

        def visit(name, node) -> None:
            if not found and hasattr(node, 'keys') and _columns(node) is not None:
                found.append(name)
        visit('/', handle)
        handle.visititems(visit)
        return found[0] if found else 'events'

    def __iter__(self) -> Iterator[np.ndarray]:
        import h5py
        try:
            with h5py.File(self.path, 'r') as handle:
                node = handle[self.group]
                shift = 1 if self._one_based else 0
                for start in range(0, self._rows, _ROWS):
                    part = {k: np.asarray(node[name][start:start + _ROWS])
                            for k, name in self._names.items()}
                    yield make_events(part['t'].astype(np.int64) + self._t_offset,
                                      part['x'].astype(np.int64) - shift,
                                      part['y'].astype(np.int64) - shift, part['p'] > 0)
        except OSError as err:
            raise broken(self.path, self.format, f'unreadable rows: {err}') from err
        if self._ragged:
            raise broken(self.path, self.format, f'columns of different lengths (truncated?); '
                                                 f'the first {self._rows} rows were read')
