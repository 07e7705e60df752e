"""AEDAT 2.0: jAER's recordings (DVS128, DAVIS240/346/640), read by our own code.

No maintained Python library reads AEDAT 2.0 (dv-processing, faery and expelliarmus read
AEDAT4, RAW, DAT and ES), so this follows jAER's own layout: ASCII header lines starting with
``#`` (the first is ``#!AER-DAT2.0``; one names the chip class, ``# AEChip: ...``), then events
of a big-endian int32 address and int32 timestamp (µs).

The address layout is the chip's, as jAER's event extractors decode it:

- DVS128 (``ch.unizh.ini.jaer.chip.retina.DVS128.Extractor``): polarity bit 0 (0 = ON),
  x bits 1-7, y bits 8-14; bit 15 or 31 marks a special (sync) event;
- DAVIS (``eu.seebetter.ini.chips.davis.DavisBaseCamera``): polarity bit 11 (1 = ON), x bits
  12-21, y bits 22-30; bit 31 set is an APS or IMU sample, bit 10 set an external input.

jAER mirrors x (``sizeX - 1 - raw``) and counts y upwards from the bottom row; our arrays
count y downwards from the top row, like AEDAT4 and Prophesee, so here both axes are mirrored:
``x = W - 1 - raw_x``, ``y = H - 1 - raw_y``. Timestamps are 32-bit and wrap (jAER's int32 runs
past 2**31 into negative values): a jump back by more than 2**31 µs is a wrap and adds 2**32.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hybrid_perception.events.array import SensorSize, make_events
from hybrid_perception.io.recordings.reading import broken, header_lines, records

__all__ = ['MAGIC', 'Aedat2Reader', 'write_aedat2', 'chip_layout']

MAGIC = b'#!AER-DAT2.0'
FORMAT = 'AEDAT 2.0 (jAER)'
_EVENT = np.dtype([('address', '>u4'), ('timestamp', '>u4')])
_WRAP = 1 << 32


@dataclass(frozen=True)
class ChipLayout:
    """How one jAER chip class packs a pixel event into its address."""

    family: str  # 'dvs128' or 'davis'
    sensor: SensorSize


# jAER class names (case-insensitive prefix of the class's simple name) -> layout
_CHIPS = (
    ('dvs128', ChipLayout('dvs128', SensorSize(128, 128))),
    ('tmpdiff128', ChipLayout('dvs128', SensorSize(128, 128))),
    ('davis128', ChipLayout('davis', SensorSize(128, 128))),
    ('davis208', ChipLayout('davis', SensorSize(208, 192))),
    ('davis240', ChipLayout('davis', SensorSize(240, 180))),
    ('davis346', ChipLayout('davis', SensorSize(346, 260))),
    ('davisrgbw640', ChipLayout('davis', SensorSize(640, 480))),
    ('davis640', ChipLayout('davis', SensorSize(640, 480))),
)


def chip_layout(chip_class: str) -> ChipLayout | None:
    """The layout of a jAER chip class (``eu.seebetter.ini.chips.davis.DAVIS240C`` ...)."""
    name = chip_class.rsplit('.', 1)[-1].lower()
    return next((layout for prefix, layout in _CHIPS if name.startswith(prefix)), None)


class Aedat2Reader:
    """One AEDAT 2.0 file's pixel events in chunks; special, APS and IMU events skipped."""

    format = FORMAT

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        lines, self._data_start = header_lines(self.path, FORMAT, b'#')
        if not lines or not lines[0].startswith(MAGIC.decode()):
            raise broken(self.path, FORMAT, 'no #!AER-DAT2.0 first line', 0)
        chip = next((line.split(':', 1)[1].strip() for line in lines
                     if line.lstrip('# ').lower().startswith('aechip:')), None)
        # jAER wrote DVS128 files before it wrote the chip's name into the header
        self.chip = chip or 'DVS128 (no AEChip line)'
        layout = chip_layout(chip) if chip else chip_layout('DVS128')
        if layout is None:
            known = ', '.join(prefix for prefix, _ in _CHIPS)
            raise broken(self.path, FORMAT, f'chip {chip!r} has no known address layout '
                                            f'(known: {known})')
        self.layout = layout
        self.sensor = layout.sensor

    def __iter__(self) -> Iterator[np.ndarray]:
        epoch, last = 0, None
        for _, data in records(self.path, FORMAT, self._data_start, _EVENT.itemsize):
            raw = np.frombuffer(data, _EVENT)
            t = raw['timestamp'].astype(np.int64)
            before = np.concatenate(([t[0] if last is None else last], t[:-1]))
            epoch_of = epoch + np.cumsum(t - before < -(_WRAP >> 1)) * _WRAP
            epoch, last = int(epoch_of[-1]), int(t[-1])
            events = self._pixels(raw['address'], t + epoch_of)
            if events.size:
                yield events

    def _pixels(self, address: np.ndarray, t: np.ndarray) -> np.ndarray:
        w, h = self.sensor.width, self.sensor.height
        if self.layout.family == 'dvs128':
            keep = (address & 0x80008000) == 0
            a = address[keep]
            return make_events(t[keep], w - 1 - ((a >> 1) & 0x7F), h - 1 - ((a >> 8) & 0x7F),
                               1 - (a & 1))
        keep = (address & 0x80000400) == 0
        a = address[keep]
        return make_events(t[keep], w - 1 - ((a >> 12) & 0x3FF), h - 1 - ((a >> 22) & 0x1FF),
                           (a >> 11) & 1)


def write_aedat2(path: str | Path, events: np.ndarray, *, chip: str = 'DVS128') -> Path:
    """Write pixel events as jAER does (how tests make files in this exact format).

    ``chip`` is a jAER chip class name; timestamps are written modulo 2**32, as jAER's wrap.
    """
    path = Path(path)
    layout = chip_layout(chip)
    if layout is None:
        raise ValueError(f'unknown jAER chip {chip!r}')
    w, h = layout.sensor.width, layout.sensor.height
    x = (w - 1 - events['x'].astype(np.uint32))
    y = (h - 1 - events['y'].astype(np.uint32))
    p = events['polarity'].astype(np.uint32)
    if layout.family == 'dvs128':
        address = (y << 8) | (x << 1) | (1 - p)
    else:
        address = (y << 22) | (x << 12) | (p << 11)
    raw = np.empty(events.size, _EVENT)
    raw['address'] = address
    raw['timestamp'] = events['timestamp'].astype(np.int64) % _WRAP
    header = (f'{MAGIC.decode()}\r\n# This is a raw AE data file - do not edit\r\n'
              f'# Data format is int32 address, int32 timestamp (8 bytes total), repeated for '
              f'each event\r\n# Timestamps tick is 1 us\r\n# AEChip: {chip}\r\n')
    path.write_bytes(header.encode() + raw.tobytes())
    return path
