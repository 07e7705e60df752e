"""Single-pass compiled loops for the per-event hot paths (numba).

numpy would make one pass over memory per field and per operation; these make one, which is
what lets encode, decode and binning run at a sizeable fraction of memory bandwidth. Compiled
once per machine and cached on disk (``cache=True``). They take plain column views, never the
structured array itself, so they stay simple for numba to compile.
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ['encode_packed', 'decode_packed', 'check_records', 'bin_events', 'columns']


_EARLIEST = np.iinfo(np.int64).min


def columns(events: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Aligned strided views (timestamp, x, y, polarity) of an EVENT_DTYPE array's records."""
    if events.size == 0:
        return (np.zeros(0, np.int64), np.zeros(0, np.int16), np.zeros(0, np.int16),
                np.zeros(0, np.int8))
    raw = np.ascontiguousarray(events).view(np.uint8).reshape(-1, 16)
    return (raw[:, 0:8].view(np.int64)[:, 0], raw[:, 8:10].view(np.int16)[:, 0],
            raw[:, 10:12].view(np.int16)[:, 0], raw[:, 12:13].view(np.int8)[:, 0])


@numba.njit(cache=True, nogil=True)
def encode_packed(t, x, y, p, stamp_us, out):  # pragma: no cover - compiled
    """9-byte little-endian records x u16, y u16, t u32 (t - stamp), polarity u8.

    Returns the smallest and largest t - stamp, so the caller can reject a packet that does
    not fit 32 bits without a second pass over the events.
    """
    low, high = np.int64(0), np.int64(0)
    if t.shape[0]:
        low = high = t[0] - stamp_us
    for i in range(t.shape[0]):
        o = 9 * i
        xv, yv, tv = x[i], y[i], t[i] - stamp_us
        low = min(low, tv)
        high = max(high, tv)
        out[o] = xv & 0xFF
        out[o + 1] = (xv >> 8) & 0xFF
        out[o + 2] = yv & 0xFF
        out[o + 3] = (yv >> 8) & 0xFF
        out[o + 4] = tv & 0xFF
        out[o + 5] = (tv >> 8) & 0xFF
        out[o + 6] = (tv >> 16) & 0xFF
        out[o + 7] = (tv >> 24) & 0xFF
        out[o + 8] = 1 if p[i] else 0
    return low, high


@numba.njit(cache=True, nogil=True)
def decode_packed(data, stamp_us, out):  # pragma: no cover - compiled
    """Inverse of :func:`encode_packed`, into the raw bytes of an EVENT_DTYPE array (16-byte
    records: timestamp i8, x i2, y i2, polarity i1, padding), which a caller allocates as
    plain bytes and views as events after: no structured-array views to build per packet."""
    for i in range(data.shape[0] // 9):
        o, r = 9 * i, 16 * i
        t = stamp_us + (np.int64(data[o + 4]) | (np.int64(data[o + 5]) << 8)
                        | (np.int64(data[o + 6]) << 16) | (np.int64(data[o + 7]) << 24))
        for k in range(8):
            out[r + k] = (t >> (8 * k)) & 0xFF
        out[r + 8] = data[o]
        out[r + 9] = data[o + 1]
        out[r + 10] = data[o + 2]
        out[r + 11] = data[o + 3]
        out[r + 12] = 1 if data[o + 8] else 0
        out[r + 13] = 0
        out[r + 14] = 0
        out[r + 15] = 0


@numba.njit(cache=True, nogil=True)
def check_records(raw, width, height, last_timestamp, new_stream_us, keep
                  ):  # pragma: no cover - compiled
    """One pass of :class:`~hybrid_perception.events.array.EventSanitizer` over an EVENT_DTYPE
    array's raw bytes: ``keep[i]`` for an event on the sensor and not earlier than any kept
    before it (an event off the sensor does not count: its time may be as wild as its place).
    When the first event on the sensor lies more than ``new_stream_us`` (>= 0) before
    ``last_timestamp``, the order starts over there. Returns (events off the sensor, events
    back in time, the latest time kept, whether the order started over)."""
    t = raw.view(np.int64)
    xy = raw.view(np.int16)
    off = back = 0
    running = last_timestamp
    restarted = False
    first = True
    for i in range(raw.shape[0] // 16):
        ti, xi, yi = t[2 * i], xy[8 * i + 4], xy[8 * i + 5]
        if xi < 0 or xi >= width or yi < 0 or yi >= height:
            keep[i] = False
            off += 1
            continue
        if first:
            first = False
            if new_stream_us >= 0 and running != _EARLIEST and ti < running - new_stream_us:
                running = _EARLIEST
                restarted = True
        if ti < running:
            keep[i] = False
            back += 1
            continue
        keep[i] = True
        running = ti
    return off, back, running, restarted


@numba.njit(cache=True, nogil=True)
def bin_events(t, x, y, p, t_start_us, bin_us, n_bins, downsample, height, width,
               out):  # pragma: no cover - compiled
    """Add each event of [t_start, t_start + n_bins*bin_us) to out[bin, polarity, y, x].

    Integer division dominates a naive loop; events come time-sorted, so the bin is tracked
    as a moving [low, high) window and only recomputed (by division) when time jumps out of
    it, which keeps unsorted input correct too.
    """
    plane = height * width
    b, low, high = -1, np.int64(0), np.int64(0)
    for i in range(t.shape[0]):
        ti = t[i]
        if ti < low or ti >= high:
            b = (ti - t_start_us) // bin_us
            low = t_start_us + b * bin_us
            high = low + bin_us
        if b < 0 or b >= n_bins:
            continue
        if downsample == 1:
            pixel = y[i] * width + x[i]
        else:
            pixel = (y[i] // downsample) * width + x[i] // downsample
        out[(b * 2 + (1 if p[i] > 0 else 0)) * plane + pixel] += 1
