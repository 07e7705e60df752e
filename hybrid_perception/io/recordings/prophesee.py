"""Prophesee's recordings: RAW (EVT 2.0 / 2.1 / 3.0 words) and DAT (fixed 8-byte CD events).

Both open with ASCII header lines starting with ``%`` (docs.prophesee.ai, "RAW File Format"
and "DAT File Format"): RAW names its encoding (``% evt 3.0`` or ``% format EVT3;width=..``)
and ends the header with ``% end`` in recent versions; DAT gives ``% Version``, ``% Width`` /
``% Height`` (or ``% geometry WxH``), then one byte of event type (12: CD) and one of event size
(8), then events of a uint32 µs time and a uint32 of x (bits 0-13), y (14-27), polarity (28-31).

RAW words go through the same compiled decoders as the EventPacket topics (events/codecs),
which read faster than faery's (1.5-1.7x) and as fast as expelliarmus's EVT 2.0 (its EVT 3.0
is off by 4096 µs) on the same files (benchmarks/recordings.py), and are checked bit for bit
against faery's in the tests. DAT is a fixed-size layout numpy reads as it is: expelliarmus
reads it 3x faster but only from a file named ``.dat``, and stops silently at a cut-off end.
EVT 2.1 (64-bit vectorised words) is read by no library here (faery 0.7 stops at "not yet
implemented", expelliarmus reads DAT / EVT 2.0 / 3.0): decoded by our compiled codec, held to
the specification's byte-order example and OpenEB's bit fields in the tests. An IMX636's
files are marked ``% endianness legacy`` (its two 32-bit halves swapped).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from hybrid_perception.events.array import SensorSize, make_events
from hybrid_perception.events.codecs import evt21
from hybrid_perception.events.codecs.packets import PacketDecoder, RawPacket
from hybrid_perception.io.recordings.reading import broken, header_lines, records

__all__ = ['RawReader', 'DatReader', 'is_raw_header']

_ENCODINGS = {'evt 2.0': 'evt2', 'evt2': 'evt2', 'evt 3.0': 'evt3', 'evt3': 'evt3',
              'evt 2.1': 'evt21', 'evt21': 'evt21'}
_WORD_BYTES = {'evt2': 4, 'evt3': 2, 'evt21': 8}
_DAT_EVENT = np.dtype([('timestamp', '<u4'), ('data', '<u4')])
_CD = 12
#: sensors named by the camera plugin in older headers that give no geometry
_PLUGINS = (('gen41', SensorSize(1280, 720)), ('imx636', SensorSize(1280, 720)),
            ('gen31', SensorSize(640, 480)), ('imx8', SensorSize(320, 320)))


def _geometry(lines: list[str]) -> SensorSize | None:
    text = '\n'.join(lines).lower()
    width, height = re.search(r'width=(\d+)', text), re.search(r'height=(\d+)', text)
    if width and height:  # the format's key=value pairs, in either order
        return SensorSize(int(width[1]), int(height[1]))
    if found := re.search(r'geometry (\d+)x(\d+)', text):
        return SensorSize(int(found[1]), int(found[2]))
    width, height = re.search(r'^% width (\d+)', text, re.M), \
        re.search(r'^% height (\d+)', text, re.M)
    if width and height:
        return SensorSize(int(width[1]), int(height[1]))
    return next((size for plugin, size in _PLUGINS if plugin in text), None)


def _encoding(lines: list[str]) -> str | None:
    """The encoding the header names, as a codec's name when it is one read here."""
    for line in lines:
        low = line.lower()
        if low.startswith('% evt '):
            named = low[2:].strip()
        elif found := re.match(r'% format (evt[\d.]+)', low):
            named = found[1]
        else:
            continue
        return _ENCODINGS.get(named, named)
    return None


def _legacy(lines: list[str]) -> bool:
    """EVT 2.1 words in two swapped 32-bit halves (OpenEB writes ``% endianness legacy``; a
    camera's format string says ``endianness=legacy``)."""
    text = '\n'.join(lines).lower()
    return bool(re.search(r'^% endianness legacy|endianness=legacy', text, re.M))


def is_raw_header(lines: list[str]) -> bool:
    """A ``%`` header naming an EVT encoding (RAW); DAT headers name none."""
    return _encoding(lines) is not None


class RawReader:
    """One RAW file's CD events in sensor time (µs), chunk by chunk."""

    def __init__(self, path: str | Path, sensor: SensorSize | None = None) -> None:
        self.path = Path(path)
        lines, self._data_start = header_lines(self.path, 'Prophesee RAW', b'%', end=b'% end')
        encoding = _encoding(lines)
        self.format = f'Prophesee RAW ({encoding or "no encoding"})'
        if encoding is None:
            raise broken(self.path, self.format, 'the header names no encoding (% evt 3.0 or '
                                                 '% format EVT3)')
        if encoding not in _WORD_BYTES:
            raise broken(self.path, self.format, f'{encoding.upper()} is not an encoding read '
                                                 'here (EVT 2.0, 2.1, 3.0)')
        self.encoding = encoding
        self.legacy = encoding == 'evt21' and _legacy(lines)
        if self.legacy:
            self.format = 'Prophesee RAW (evt21, legacy halves)'
        self.sensor = _geometry(lines) or sensor

    def __iter__(self) -> Iterator[np.ndarray]:
        decoder = PacketDecoder(self.encoding)
        width, height = (self.sensor.width, self.sensor.height) if self.sensor else (2048, 2048)
        for _, data in records(self.path, self.format, self._data_start,
                               _WORD_BYTES[self.encoding]):
            if self.legacy:  # the IMX636's swapped halves; other words decode as they are
                data = evt21.to_words(np.frombuffer(data, evt21.WORD), legacy=True).tobytes()
            events, _ = decoder.decode(RawPacket(self.encoding, width, height, data))
            if events.size:
                yield events


class DatReader:
    """One DAT file's CD events, chunk by chunk."""

    format = 'Prophesee DAT'

    def __init__(self, path: str | Path, sensor: SensorSize | None = None) -> None:
        self.path = Path(path)
        lines, start = header_lines(self.path, self.format, b'%')
        with self.path.open('rb') as handle:
            handle.seek(start)
            kind = handle.read(2)
        if len(kind) < 2:
            raise broken(self.path, self.format, 'no event type and size after the header',
                         start)
        if kind[0] != _CD or kind[1] != _DAT_EVENT.itemsize:
            raise broken(self.path, self.format, f'events of type {kind[0]} and size '
                                                 f'{kind[1]}; only CD events (12, 8 bytes) are '
                                                 f'read', start)
        self._data_start = start + 2
        self.sensor = _geometry(lines) or sensor

    def __iter__(self) -> Iterator[np.ndarray]:
        for _, data in records(self.path, self.format, self._data_start, _DAT_EVENT.itemsize):
            raw = np.frombuffer(data, _DAT_EVENT)
            word = raw['data']
            yield make_events(raw['timestamp'], word & 0x3FFF, (word >> 14) & 0x3FFF,
                              (word >> 28) > 0)
