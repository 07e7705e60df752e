"""event_camera_codecs' ``mono``: one little-endian uint64 an event: time in ns after the
packet's ``time_base`` in bits 31..0, x in 47..32, y in 62..48, polarity in bit 63. A packet
spans at most 2^32 ns (4.3 s)."""

from __future__ import annotations

import numba
import numpy as np

__all__ = ['WORD', 'SPAN_NS', 'decode_words', 'encode_events']

WORD = np.dtype('<u8')
SPAN_NS = 1 << 32


@numba.njit(cache=True, nogil=True)
def decode_words(words, base_ns, width, height, records, counts):  # pragma: no cover
    """Decode into ``records`` as :func:`..evt3.decode_words` does, µs = ns // 1000;
    returns the number kept."""
    n = 0
    for i in range(words.shape[0]):
        w = words[i]
        ex = np.int64((w >> np.uint64(32)) & np.uint64(0xFFFF))
        ey = np.int64((w >> np.uint64(48)) & np.uint64(0x7FFF))
        now = (base_ns + np.int64(w & np.uint64(0xFFFFFFFF))) // 1000
        if counts[3] < 0:
            counts[3] = now
        if ex < width and ey < height:
            records[n, 0] = now
            records[n, 1] = ex | (ey << 16) | (np.int64(w >> np.uint64(63)) << 32)
            n += 1
        else:
            counts[1] += 1
    return n


@numba.njit(cache=True, nogil=True)
def encode_events(t, x, y, p, base_ns, out):  # pragma: no cover - compiled
    """One word an event (µs times as ns); returns -1 if one falls outside the span."""
    for i in range(t.shape[0]):
        dt = t[i] * 1000 - base_ns
        if dt < 0 or dt >= SPAN_NS:
            return -1
        out[i] = (np.uint64(dt) | (np.uint64(x[i] & 0xFFFF) << np.uint64(32))
                  | (np.uint64(y[i] & 0x7FFF) << np.uint64(48))
                  | (np.uint64(1 if p[i] > 0 else 0) << np.uint64(63)))
    return t.shape[0]
