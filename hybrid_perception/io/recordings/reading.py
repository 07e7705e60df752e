"""What every recording reader shares: fixed-size records read in chunks, and one wording of
what went wrong where.

Readers are generators of event chunks: a file damaged half-way yields every event before the
damage, then raises :class:`EventFormatError` naming the file, the format it was read as and
the byte where it broke, so a player publishes the good part once and says why it stopped.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

import numpy as np

from hybrid_perception.errors import EventFormatError
from hybrid_perception.events.array import SensorSize

__all__ = ['Recording', 'broken', 'records', 'header_lines', 'library_errors', 'CHUNK_BYTES']

#: bytes read per chunk: large enough that numpy's per-call cost vanishes, small enough that
#: a multi-gigabyte recording streams in bounded memory
CHUNK_BYTES = 8 << 20


class Recording(Protocol):
    """An open recording: its size, the format it is read as, and its events in chunks."""

    path: Path
    format: str
    sensor: SensorSize

    def __iter__(self) -> Iterator[np.ndarray]: ...


def broken(path: Path, fmt: str, what: str, at: int | None = None) -> EventFormatError:
    """The one error wording: ``FILE: read as FORMAT: WHAT at byte N``."""
    where = '' if at is None else f' at byte {at}'
    return EventFormatError(f'{path}: read as {fmt}: {what}{where}')


def records(path: Path, fmt: str, start: int, record_bytes: int,
            chunk_bytes: int = CHUNK_BYTES) -> Iterator[tuple[int, bytes]]:
    """(offset, whole records) from ``start`` to the end of the file, in chunks.

    A trailing partial record means the file was cut short: everything before it has been
    yielded when the error is raised.
    """
    step = max(record_bytes, chunk_bytes // record_bytes * record_bytes)
    try:
        with path.open('rb') as handle:
            handle.seek(start)
            offset = start
            while True:
                data = handle.read(step)
                whole = len(data) // record_bytes * record_bytes
                if whole:
                    yield offset, data[:whole]
                if whole < len(data):
                    raise broken(path, fmt, f'truncated: {len(data) - whole} bytes of a '
                                 f'{record_bytes}-byte event', offset + whole)
                if len(data) < step:
                    return
                offset += whole
    except OSError as err:
        raise broken(path, fmt, f'cannot read: {err}') from err


def header_lines(path: Path, fmt: str, marker: bytes, *, end: bytes | None = None,
                 limit: int = 1 << 20) -> tuple[list[str], int]:
    """The leading text lines that start with ``marker`` and the offset of the data.

    jAER and Prophesee files open with such lines; the first line without the marker is data,
    and so is a "line" with bytes no text has (binary events may begin with the marker byte).
    A line equal to ``end`` closes the header.
    """
    try:
        with path.open('rb') as handle:
            head = handle.read(limit)
    except OSError as err:
        raise broken(path, fmt, f'cannot read: {err}') from err
    lines, offset = [], 0
    while head.startswith(marker, offset):
        newline = head.find(b'\n', offset)
        line = head[offset:newline if newline >= 0 else len(head)].rstrip(b'\r')
        if newline < 0 or not _is_text(line):
            break
        lines.append(line.decode('ascii'))
        offset = newline + 1
        if line == end:
            break
    return lines, offset


def _is_text(line: bytes) -> bool:
    return all(32 <= b < 127 or b == 9 for b in line)


@contextmanager
def library_errors(path: Path, fmt: str) -> Iterator[None]:
    """A third-party reader's exceptions as our one error wording.

    faery's Rust core raises RuntimeError for bad data and pyo3's PanicException (a
    BaseException) when it meets a case it does not implement; neither may take a node down.
    """
    try:
        yield
    except (KeyboardInterrupt, SystemExit, GeneratorExit):
        raise
    except OSError as err:
        raise broken(path, fmt, f'cannot read: {err}') from err
    except BaseException as err:  # noqa: BLE001 - see the docstring
        # Rust's read_exact at the end of the file
        what = 'truncated: the file ends inside a packet' \
            if 'failed to fill whole buffer' in str(err) else f'corrupt: {err}'
        raise broken(path, fmt, what) from err
