"""Prophesee EVT 2.1: 64-bit words, vectorised by 32 pixels (docs.prophesee.ai, "EVT 2.1
Format"; OpenEB's ``evt21_event_types.h`` for the bit fields).

Word type in bits 63..60: EVT_NEG 0x0 / EVT_POS 0x1 (time's low 6 bits in 59..54, x in
53..43, y in 42..32, and in 31..0 a validity mask: bit i set is an event at x + i), TIME_HIGH
0x8 (the time's bits 33..6 in 59..32), EXT_TRIGGER 0xA, OTHERS 0xE, CONTINUED 0xF (no CD
event: skipped); the other codes are reserved (counted as unknown). The upper half is an EVT
2.0 word: time, wrap and state run as in :mod:`.evt2`.

Byte order. The GenX320 sends each word as one little-endian 64-bit value. The IMX636 sends it
as two little-endian 32-bit halves, upper half first (the specification's example:
0x0102030405060708 goes out as 04 03 02 01 08 07 06 05), and its RAW files say so in the
header (``% endianness legacy``, or ``endianness=legacy`` in ``% format``). :func:`to_words`
turns either into the 64-bit words decoded here.
"""

from __future__ import annotations

import numba
import numpy as np

from hybrid_perception.events.codecs.evt2 import new_state, time_high

__all__ = ['WORD', 'new_state', 'to_words', 'decode_words', 'encode_events']

WORD = np.dtype('<u8')


def to_words(data: np.ndarray, legacy: bool) -> np.ndarray:
    """64-bit words from a file's words read as little-endian 64-bit values; ``legacy``
    (IMX636) words hold the upper half in their first four bytes, so the halves swap."""
    if not legacy:
        return data
    halves = data.view('<u4').reshape(-1, 2)
    return np.ascontiguousarray(halves[:, ::-1]).view(WORD).reshape(-1)


@numba.njit(cache=True, nogil=True)
def decode_words(words, state, width, height, records, counts):  # pragma: no cover - compiled
    """As :func:`..evt3.decode_words`; ``records`` holds 32 events a word."""
    high, valid = state[0], state[1]
    n = 0
    for i in range(words.shape[0]):
        w = np.uint64(words[i])
        upper = np.int64(w >> np.uint64(32))
        code = upper >> 28
        if code == 0x0 or code == 0x1:
            mask = np.int64(w & np.uint64(0xFFFFFFFF))
            ex = (upper >> 11) & 0x7FF
            ey = upper & 0x7FF
            now = (high << 6) | ((upper >> 22) & 0x3F)
            row = (ey << 16) | (code << 32)
            offset = 0
            while mask:  # the set bits only, skipping empty bytes
                if not mask & 0xFF:
                    mask >>= 8
                    offset += 8
                    continue
                if mask & 1:
                    if not valid:
                        counts[2] += 1
                    else:
                        if counts[3] < 0:
                            counts[3] = now
                        if ex + offset < width and ey < height:
                            records[n, 0] = now
                            records[n, 1] = (ex + offset) | row
                            n += 1
                        else:
                            counts[1] += 1
                mask >>= 1
                offset += 1
        elif code == 0x8:
            high = time_high(high, valid, upper & 0xFFFFFFF)
            valid = 1
        elif code == 0xA or code == 0xE or code == 0xF:
            pass
        else:
            counts[0] += 1
    state[0], state[1] = high, valid
    return n


@numba.njit(cache=True, nogil=True)
def encode_events(t, x, y, p, out):  # pragma: no cover - compiled
    """Words for time-sorted events (µs), as :func:`..evt2.encode_events`; events at one time,
    on one row and of one polarity whose x rise within 32 of the first share a word. ``out``
    holds 2 words an event plus ``span >> 32``. Returns the number of words, or -1 if time
    goes backwards."""
    n = t.shape[0]
    k = 0
    last_high = np.int64(-1)
    last_t = t[0] if n else np.int64(0)
    i = 0
    while i < n:
        ti = t[i]
        if ti < last_t:
            return -1
        while ti - last_t >= (np.int64(1) << 32):
            last_t += np.int64(1) << 32
            out[k] = np.uint64((0x8 << 28) | ((last_t >> 6) & 0xFFFFFFF)) << np.uint64(32)
            k += 1
        last_t = ti
        high = (ti >> 6) & 0xFFFFFFF
        if high != last_high:
            out[k] = np.uint64((0x8 << 28) | high) << np.uint64(32)
            k += 1
            last_high = high
        pol = 1 if p[i] > 0 else 0
        mask = np.int64(1)
        j = i + 1
        while (j < n and t[j] == ti and y[j] == y[i] and (1 if p[j] > 0 else 0) == pol
               and x[j] > x[j - 1] and x[j] - x[i] < 32):
            mask |= np.int64(1) << (x[j] - x[i])
            j += 1
        upper = (pol << 28) | ((ti & 0x3F) << 22) | ((x[i] & 0x7FF) << 11) | (y[i] & 0x7FF)
        out[k] = (np.uint64(upper) << np.uint64(32)) | np.uint64(mask)
        k += 1
        i = j
    return k
