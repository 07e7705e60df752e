"""Prophesee EVT 2.0: 32-bit words (docs.prophesee.ai, "EVT 2.0 Format").

Word type in bits 31..28: CD_OFF 0x0 / CD_ON 0x1 (time's low 6 bits in 27..22, x in 21..11,
y in 10..0: one event), TIME_HIGH 0x8 (the time's bits 33..6 in 27..0), EXT_TRIGGER 0xA,
OTHERS 0xE, CONTINUED 0xF (no CD event: skipped); the other codes are reserved (counted as
unknown). Time is 34-bit µs (4 h 46 min); TIME_HIGH going down by more than half its range is
the wrap. The state (time high) runs on from packet to packet; events before the first
TIME_HIGH are counted, not timed.
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ['WORD', 'new_state', 'time_high', 'decode_words', 'encode_events']

WORD = np.dtype('<u4')
_HALF = 1 << 27


def new_state() -> np.ndarray:
    """[time high (with wrap bits, µs >> 6), time valid]."""
    return np.zeros(2, np.int64)


@numba.njit(cache=True, nogil=True)
def time_high(high, valid, step):  # pragma: no cover - compiled
    """The time high (µs >> 6, with wrap bits) after a TIME_HIGH word of ``step``: its 28
    bits replaced, one wrap added when they go down by more than half their range."""
    last = high & 0xFFFFFFF
    if valid and step < last and last - step > _HALF:
        high += 1 << 28
    return (high & ~np.int64(0xFFFFFFF)) | step


@numba.njit(cache=True, nogil=True)
def decode_words(words, state, width, height, records, counts):  # pragma: no cover - compiled
    """As :func:`..evt3.decode_words`, one event a word at most."""
    high, valid = state[0], state[1]
    n = 0
    for i in range(words.shape[0]):
        w = np.int64(words[i])
        code = w >> 28
        if code == 0x0 or code == 0x1:
            ex = (w >> 11) & 0x7FF
            ey = w & 0x7FF
            if not valid:
                counts[2] += 1
                continue
            now = (high << 6) | ((w >> 22) & 0x3F)
            if counts[3] < 0:
                counts[3] = now
            if ex < width and ey < height:
                records[n, 0] = now
                records[n, 1] = ex | (ey << 16) | (code << 32)
                n += 1
            else:
                counts[1] += 1
        elif code == 0x8:
            high = time_high(high, valid, w & 0xFFFFFFF)
            valid = 1
        elif code == 0xA or code == 0xE or code == 0xF:
            pass
        else:
            counts[0] += 1
    state[0], state[1] = high, valid
    return n


@numba.njit(cache=True, nogil=True)
def encode_events(t, x, y, p, out):  # pragma: no cover - compiled
    """Words for time-sorted events (µs); the first is a TIME_HIGH, and a silence of 2^32 µs
    or more gets intermediate ones so a decoder sees every wrap. ``out`` holds 2 words an
    event plus ``span >> 32``. Returns the number of words, or -1 if time goes backwards."""
    k = 0
    last_high = np.int64(-1)
    last_t = t[0] if t.shape[0] else np.int64(0)
    for i in range(t.shape[0]):
        if t[i] < last_t:
            return -1
        while t[i] - last_t >= (np.int64(1) << 32):
            last_t += np.int64(1) << 32
            out[k] = (0x8 << 28) | ((last_t >> 6) & 0xFFFFFFF)
            k += 1
        last_t = t[i]
        high = (t[i] >> 6) & 0xFFFFFFF
        if high != last_high:
            out[k] = (0x8 << 28) | high
            k += 1
            last_high = high
        out[k] = (((1 if p[i] > 0 else 0) << 28) | ((t[i] & 0x3F) << 22)
                  | ((x[i] & 0x7FF) << 11) | (y[i] & 0x7FF))
        k += 1
    return k
