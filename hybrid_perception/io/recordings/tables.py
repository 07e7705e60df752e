"""Event tables: CSV / text (``t,x,y,p`` rows) and numpy ``.npy`` files, read by numpy.

Column order comes from a header row when there is one (names ``t``/``ts``/``timestamp``,
``x``, ``y``, ``p``/``polarity``/``on``); without one, the order is ``t x y p`` (the Event
Camera Dataset's ``events.txt``), or ``x y p t`` (Metavision's CSV export) when only the last
column runs forward in time. Comma- or whitespace-separated. Times with a decimal point are
seconds, others µs. A ``.npy`` holds a structured array with those field names or an N x 4
table in the same column orders. faery reads CSV too, but gives back nothing of a chunk with
one bad line; here every good row before the bad one is kept.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import islice
from pathlib import Path

import numpy as np

from hybrid_perception.events.array import EVENT_DTYPE, SensorSize, make_events
from hybrid_perception.io.recordings.reading import broken

__all__ = ['CsvReader', 'NpyReader', 'NPY_MAGIC']

NPY_MAGIC = b'\x93NUMPY'
_NAMES = {'t': 't', 'ts': 't', 'timestamp': 't', 'time': 't', 'x': 'x', 'y': 'y', 'p': 'p',
          'pol': 'p', 'polarity': 'p', 'on': 'p'}
_ROWS = 1 << 20


def _order(names: list[str] | None, sample: np.ndarray) -> dict[str, int]:
    """Column index of t, x, y and p."""
    if names is not None:
        mapped = {_NAMES.get(n.strip().lower()): i for i, n in enumerate(names)}
        if all(k in mapped for k in 'txyp'):
            return {k: mapped[k] for k in 'txyp'}
    forward = [bool(np.all(np.diff(sample[:, i]) >= 0)) for i in (0, -1)] if len(sample) > 1 \
        else [True, False]
    last = sample.shape[1] - 1
    if not forward[0] and forward[1]:
        return {'x': 0, 'y': 1, 'p': 2, 't': last}
    return {'t': 0, 'x': 1, 'y': 2, 'p': 3}


def _events(table: np.ndarray, order: dict[str, int], seconds: bool) -> np.ndarray:
    t = table[:, order['t']]
    t = np.rint(t * 1e6) if seconds else t
    return make_events(t.astype(np.int64), table[:, order['x']], table[:, order['y']],
                       table[:, order['p']] > 0)


class CsvReader:
    """One text table's events, a million rows a chunk."""

    format = 'CSV event table'

    def __init__(self, path: str | Path, sensor: SensorSize | None = None) -> None:
        self.path = Path(path)
        try:
            with self.path.open('r', encoding='ascii', errors='replace') as handle:
                head = [line for line in islice(handle, 1001) if line.strip()]
        except OSError as err:
            raise broken(self.path, self.format, f'cannot read: {err}') from err
        if not head:
            raise broken(self.path, self.format, 'no rows')
        self._sep = ',' if ',' in head[0] else None
        self._header = bool(re.search(r'[a-df-zA-DF-Z]', head[0]))  # 'e' can be an exponent
        rows = head[1:] if self._header else head
        try:
            sample = np.loadtxt(rows[:1000], delimiter=self._sep, ndmin=2)
        except ValueError as err:
            raise broken(self.path, self.format, f'unreadable rows: {err}') from err
        if sample.shape[1] < 4:
            raise broken(self.path, self.format, f'{sample.shape[1]} columns; t, x, y and p '
                                                 f'are needed')
        self._width = sample.shape[1]
        names = head[0].replace(',', ' ').split() if self._header else None
        self._order = _order(names, sample)
        t_text = rows[0].replace(',', ' ').split()[self._order['t']] if rows else ''
        self._seconds = '.' in t_text or 'e' in t_text.lower()
        self.sensor = sensor

    def __iter__(self) -> Iterator[np.ndarray]:
        with self.path.open('r', encoding='ascii', errors='replace') as handle:
            number = 1
            if self._header:
                next(handle)
                number += 1
            while block := list(islice(handle, _ROWS)):
                try:
                    table = np.loadtxt(block, delimiter=self._sep, ndmin=2)
                except ValueError:
                    good, bad = _split_at_bad_row(block, self._sep, self._width)
                    if len(good):
                        yield _events(good, self._order, self._seconds)
                    raise broken(self.path, self.format,
                                 f'line {number + bad}: unreadable row '
                                 f'{block[bad].strip()[:60]!r}') from None
                if len(table):
                    yield _events(table, self._order, self._seconds)
                number += len(block)


def _split_at_bad_row(block: list[str], sep: str | None, width: int
                      ) -> tuple[np.ndarray, int]:
    """The rows before the first one that is not ``width`` numbers, and that row's index."""
    for i, line in enumerate(block):
        try:
            ok = np.loadtxt([line], delimiter=sep, ndmin=2).shape[1] == width
        except ValueError:
            ok = False
        if not ok:
            good = np.loadtxt(block[:i], delimiter=sep, ndmin=2) if i else np.empty((0, width))
            return good, i
    raise AssertionError('a block numpy refused has a row that is not a table row')


class NpyReader:
    """One ``.npy`` table's events, memory-mapped; a file cut short gives its whole rows."""

    format = 'numpy .npy event table'

    def __init__(self, path: str | Path, sensor: SensorSize | None = None) -> None:
        self.path = Path(path)
        try:
            with self.path.open('rb') as handle:
                version = np.lib.format.read_magic(handle)
                shape, fortran, dtype = np.lib.format._read_array_header(handle, version)
                self._offset = handle.tell()
        except (OSError, ValueError) as err:
            raise broken(self.path, self.format, f'not a readable .npy: {err}', 0) from err
        if dtype.hasobject:
            raise broken(self.path, self.format, 'holds Python objects; only numbers are read '
                                                 '(a file never runs code)')
        if fortran or not (dtype.names and len(shape) == 1 or len(shape) == 2 and
                           shape[1] >= 4):
            raise broken(self.path, self.format, f'a {shape} array of {dtype}; expected a '
                                                 f'structured t/x/y/p array or N x 4 rows')
        self._shape, self._dtype = shape, dtype
        self.sensor = sensor
        self._columns: list[str] | None = None
        if dtype.names:
            fields = {_NAMES.get(n.lower()): n for n in dtype.names}
            missing = [k for k in 'txyp' if k not in fields]
            if missing:
                raise broken(self.path, self.format, f'no field for {", ".join(missing)} '
                                                     f'(fields: {", ".join(dtype.names)})')
            self._columns = [fields[k] for k in 'txyp']
        if dtype == EVENT_DTYPE:  # our own layout (np.save of an event array): copied as it is
            return
        first = self._table(next(iter(self._parts()), np.empty((0, *shape[1:]), dtype)))
        self._order = _order(None, first[:1000]) if self._columns is None else \
            {'t': 0, 'x': 1, 'y': 2, 'p': 3}
        # float times are seconds, unless every one is a whole number (µs stored as floats)
        self._seconds = bool(first.size) and not np.all(first[:, self._order['t']] % 1 == 0) \
            if np.issubdtype(dtype[self._columns[0]] if self._columns else dtype, np.floating) \
            else False

    def __iter__(self) -> Iterator[np.ndarray]:
        for part in self._parts():
            yield part if self._dtype == EVENT_DTYPE else \
                _events(self._table(part), self._order, self._seconds)
        if self._available < self._shape[0]:
            raise broken(self.path, self.format, f'truncated: {self._available} of '
                                                 f'{self._shape[0]} rows',
                         self._offset + self._available * self._row_bytes)

    @property
    def _row_bytes(self) -> int:
        return self._dtype.itemsize * (self._shape[1] if len(self._shape) == 2 else 1)

    @property
    def _available(self) -> int:
        return min(self._shape[0], (self.path.stat().st_size - self._offset) // self._row_bytes)

    def _parts(self) -> Iterator[np.ndarray]:
        """Rows in chunks, as writable copies made byte for byte (numpy copies a padded
        structured array field by field, ~20x slower)."""
        rows = self._available
        if rows:
            data = np.memmap(self.path, np.uint8, 'r', self._offset, rows * self._row_bytes)
            for start in range(0, rows, _ROWS):
                part = data[start * self._row_bytes:(start + _ROWS) * self._row_bytes]
                yield np.frombuffer(bytearray(part), self._dtype).reshape(-1, *self._shape[1:])

    def _table(self, part: np.ndarray) -> np.ndarray:
        if self._columns is not None:
            return np.stack([part[c].astype(np.float64) for c in self._columns], axis=1)
        return part.astype(np.float64).reshape(len(part), -1)
