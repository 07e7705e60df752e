"""Each encoding read word by word in plain Python, straight from its specification (the
module docstrings of :mod:`.evt3`, :mod:`.evt2`, :mod:`.evt21`, :mod:`.libcaer`, :mod:`.mono`).

Slow on purpose: the tests hold the compiled decoders to these, event for event and count for
count, and ``benchmarks/event_packets.py`` measures the compiled ones against them.
"""

from __future__ import annotations

__all__ = ['ReferenceDecoder']

_SIZES = {'evt3': 2, 'evt2': 4, 'evt21': 8, 'libcaer': 8, 'libcaer_cmp': 2, 'mono': 8}


class ReferenceDecoder:
    """Same contract as :class:`.packets.PacketDecoder`, returning lists: events as
    (t µs, x, y, polarity) tuples and counts as [unknown, off sensor, untimed, trailing]."""

    def __init__(self, encoding: str) -> None:
        self.encoding = encoding
        self.y = self.x = self.base = self.polarity = 0
        self.time_high = None       # evt3: µs with wrap bits; evt2: µs >> 6 with wrap bits
        self.time_low = None
        self.wraps = 0

    def decode(self, data: bytes, width: int, height: int, time_base: int = 0,
               big_endian: bool = False):
        size = _SIZES[self.encoding]
        order = 'big' if big_endian else 'little'
        self.events, self.counts = [], [0, 0, 0, len(data) % size]
        self.width, self.height = width, height
        handle = getattr(self, '_' + self.encoding)
        self.time_base = time_base
        self.packet_high = self.packet_low = 0
        self.last_stamp = 0
        self.wrap_us = (time_base // 1000) if self.encoding == 'libcaer' else 0
        for at in range(0, len(data) - len(data) % size, size):
            if self.encoding == 'libcaer':
                handle(int.from_bytes(data[at:at + 4], order),
                       int.from_bytes(data[at + 4:at + 8], order, signed=True))
            else:
                handle(int.from_bytes(data[at:at + size], order))
        return self.events, self.counts

    def _emit(self, t, x, y, polarity, timed=True) -> None:
        if not timed:
            self.counts[2] += 1
        elif x < self.width and y < self.height:
            self.events.append((t, x, y, polarity))
        else:
            self.counts[1] += 1

    # --- EVT 3.0
    def _evt3(self, word: int) -> None:
        kind, payload = word >> 12, word & 0xFFF
        timed = self.time_high is not None and self.time_low is not None
        t = (self.time_high or 0) + (self.time_low or 0)
        if kind == 0x0:
            self.y = payload & 0x7FF
        elif kind == 0x2:
            self._emit(t, payload & 0x7FF, self.y, payload >> 11, timed)
        elif kind == 0x3:
            self.base, self.polarity = payload & 0x7FF, payload >> 11
        elif kind in (0x4, 0x5):
            bits = 12 if kind == 0x4 else 8
            for i in range(bits):
                if payload >> i & 1:
                    self._emit(t, self.base + i, self.y, self.polarity, timed)
            self.base += bits
        elif kind == 0x6:
            if self.time_high is not None:
                self.time_low = payload
        elif kind == 0x8:
            if self.time_high is not None:
                last = (self.time_high >> 12) & 0xFFF
                if payload < last - 10:
                    self.wraps += 1
            self.time_high = (self.wraps << 24) + (payload << 12)
        elif kind not in (0x7, 0xA, 0xE, 0xF):
            self.counts[0] += 1

    # --- EVT 2.0
    def _evt2(self, word: int) -> None:
        kind = word >> 28
        if kind in (0x0, 0x1):
            t = ((self.time_high or 0) << 6) + (word >> 22 & 0x3F)
            self._emit(t, word >> 11 & 0x7FF, word & 0x7FF, kind, self.time_high is not None)
        elif kind == 0x8:
            step = word & 0xFFFFFFF
            if self.time_high is not None and step < (self.time_high & 0xFFFFFFF) - (1 << 27):
                self.wraps += 1
            self.time_high = (self.wraps << 28) + step
        elif kind not in (0xA, 0xE, 0xF):
            self.counts[0] += 1

    # --- EVT 2.1: an EVT 2.0 word in the upper half, a mask of 32 pixels from x in the lower
    def _evt21(self, word: int) -> None:
        upper, mask = word >> 32, word & 0xFFFFFFFF
        if upper >> 28 in (0x0, 0x1):
            t = ((self.time_high or 0) << 6) + (upper >> 22 & 0x3F)
            for i in range(32):
                if mask >> i & 1:
                    self._emit(t, (upper >> 11 & 0x7FF) + i, upper & 0x7FF, upper >> 28,
                               self.time_high is not None)
        else:
            self._evt2(upper)

    # --- libcaer polarity events
    def _libcaer(self, data: int, stamp: int) -> None:
        stamp &= 0x7FFFFFFF
        if stamp < self.last_stamp:
            self.wrap_us += 1 << 31
        self.last_stamp = stamp
        if not data & 1:
            self.counts[0] += 1
            return
        self._emit(self.wrap_us + stamp, data >> 17 & 0x7FFF, data >> 2 & 0x7FFF, data >> 1 & 1)

    # --- libcaer_cmp
    def _libcaer_cmp(self, word: int) -> None:
        kind, payload = word >> 12, word & 0xFFF
        t = self.time_base // 1000 + self.packet_high * 4096 + self.packet_low
        if kind == 0:
            self.packet_high = payload
        elif kind == 1:
            self.packet_low = payload
        elif kind == 2:
            self.x = payload & 0x7FF
        elif kind == 3:
            self._emit(t, self.x, payload & 0x7FF, payload >> 11)
        elif kind == 4:
            self.base, self.polarity = payload & 0x7FF, payload >> 11
        elif kind == 5:
            for i in range(8):
                if payload >> i & 1:
                    self._emit(t, self.x, self.base + i, self.polarity)
            self.base += 8
        else:
            self.counts[0] += 1

    # --- mono
    def _mono(self, word: int) -> None:
        t = (self.time_base + (word & 0xFFFFFFFF)) // 1000
        self._emit(t, word >> 32 & 0xFFFF, word >> 48 & 0x7FFF, word >> 63)
