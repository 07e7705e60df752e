"""libcaer's two layouts, as libcaer_driver puts them in EventPacket.

``libcaer``: libcaer's polarity event, 8 bytes: uint32 data (valid bit 0, polarity bit 1,
y in bits 16..2, x in bits 31..17) then int32 timestamp (µs, 31 bits: libcaer wraps it and
keeps the overflow apart). The packet's ``time_base`` (ns) holds what the 31 bits lack, so
t = time_base + 1000 * timestamp, plus one 2^31 µs wrap inside the packet where the
timestamp drops (libcaer's polarity.h; event_camera_codecs decodes it the same way).

``libcaer_cmp``: 16-bit words, code in bits 15..12: TIME_HIGH 0 and TIME_LOW 1 (the high and
low 12 bits of a 24-bit µs offset from ``time_base``), ADDR_X 2 (x in 10..0), ADDR_Y 3
(polarity 11, y 10..0: one event at the last x), VECT_BASE_Y 4 (polarity 11, y 10..0), VECT_8
5 (a mask of 8 rows from the base y, which advances by 8). Code 6 is declared VECT_12 but
event_camera_codecs decodes nothing from it, and others are undefined: both counted as unknown.
Time restarts at ``time_base`` in every packet; x, base y and polarity run on.
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ['RECORD', 'CMP_WORD', 'WRAP_US', 'decode_records', 'encode_records', 'new_cmp_state',
           'decode_cmp_words', 'encode_cmp_events']

RECORD = np.dtype([('data', '<u4'), ('timestamp', '<i4')])
CMP_WORD = np.dtype('<u2')
WRAP_US = 1 << 31


@numba.njit(cache=True, nogil=True)
def decode_records(data, stamps, base_us, width, height, records,
                   counts):  # pragma: no cover - compiled
    """Decode polarity events (``data``, ``stamps`` columns) into ``records`` as
    :func:`..evt3.decode_words` does; returns the number kept.
    Invalid events (bit 0 clear) are counted as unknown words."""
    n = 0
    high = base_us
    last = np.int64(0)
    for i in range(data.shape[0]):
        d = np.int64(data[i])
        low = np.int64(stamps[i]) & 0x7FFFFFFF
        if low < last:
            high += 1 << 31
        last = low
        if counts[3] < 0:
            counts[3] = high + low
        if not d & 1:
            counts[0] += 1
            continue
        ex = (d >> 17) & 0x7FFF
        ey = (d >> 2) & 0x7FFF
        if ex < width and ey < height:
            records[n, 0] = high + low
            records[n, 1] = ex | (ey << 16) | (((d >> 1) & 1) << 32)
            n += 1
        else:
            counts[1] += 1
    return n


@numba.njit(cache=True, nogil=True)
def encode_records(t, x, y, p, base_us, data, stamps):  # pragma: no cover - compiled
    """Polarity events with times relative to ``base_us`` (a multiple of 2^31 µs at or below
    the first event); returns -1 if the packet spans more than one wrap or goes back."""
    last = base_us
    for i in range(t.shape[0]):
        if t[i] < last or t[i] - base_us >= np.int64(2) << 31:
            return -1
        last = t[i]
        data[i] = (np.int64(x[i]) << 17) | (np.int64(y[i]) << 2) | ((1 if p[i] > 0 else 0) << 1) | 1
        stamps[i] = (t[i] - base_us) & 0x7FFFFFFF
    return t.shape[0]


def new_cmp_state() -> np.ndarray:
    """[x, base y, polarity]."""
    return np.zeros(3, np.int64)


@numba.njit(cache=True, nogil=True)
def decode_cmp_words(words, state, base_us, width, height, records,
                     counts):  # pragma: no cover - compiled
    """As :func:`..evt3.decode_words` for ``libcaer_cmp``; columns hold 8 events a word."""
    ex, base, pol = state[0], state[1], state[2]
    high, low = np.int64(0), np.int64(0)
    n = 0
    for i in range(words.shape[0]):
        w = np.int64(words[i])
        code = w >> 12
        if code == 0:
            high = (w & 0xFFF) << 12
        elif code == 1:
            low = w & 0xFFF
        elif code == 2:
            ex = w & 0x7FF
        elif code == 3:
            ey = w & 0x7FF
            if counts[3] < 0:
                counts[3] = base_us + (high | low)
            if ex < width and ey < height:
                records[n, 0] = base_us + (high | low)
                records[n, 1] = ex | (ey << 16) | (((w >> 11) & 1) << 32)
                n += 1
            else:
                counts[1] += 1
        elif code == 4:
            base = w & 0x7FF
            pol = (w >> 11) & 1
        elif code == 5:
            mask = w & 0xFF
            if mask and counts[3] < 0:
                counts[3] = base_us + (high | low)
            for bit in range(8):
                if (mask >> bit) & 1:
                    ey = base + bit
                    if ex < width and ey < height:
                        records[n, 0] = base_us + (high | low)
                        records[n, 1] = ex | (ey << 16) | (pol << 32)
                        n += 1
                    else:
                        counts[1] += 1
            base += 8
        else:
            counts[0] += 1
    state[0], state[1], state[2] = ex, base, pol
    return n


@numba.njit(cache=True, nogil=True)
def encode_cmp_events(t, x, y, p, base_us, out):  # pragma: no cover - compiled
    """Words for time-sorted events within 2^24 µs after ``base_us``: TIME_HIGH / TIME_LOW
    when they change, ADDR_X when x does, then ADDR_Y (one event a word; libcaer_driver's own
    encoder does not vectorise either). ``out`` holds 4 words an event. Returns the number of
    words, or -1 if an event lies outside the span or time goes back."""
    k = 0
    last_high, last_low, last_x = np.int64(-1), np.int64(-1), np.int64(-1)
    last = np.int64(0)
    for i in range(t.shape[0]):
        dt = t[i] - base_us
        if dt < last or dt >= (1 << 24):
            return -1
        last = dt
        if (dt >> 12) != last_high:
            last_high = dt >> 12
            out[k] = last_high
            k += 1
            last_low = -1
        if (dt & 0xFFF) != last_low:
            last_low = dt & 0xFFF
            out[k] = 0x1000 | last_low
            k += 1
        if x[i] != last_x:
            last_x = x[i]
            out[k] = 0x2000 | (last_x & 0x7FF)
            k += 1
        out[k] = 0x3000 | ((1 if p[i] > 0 else 0) << 11) | (y[i] & 0x7FF)
        k += 1
    return k
