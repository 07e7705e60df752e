"""Prophesee EVT 3.0: 16-bit words, stateful (docs.prophesee.ai, "EVT 3.0 Format").

Word type in bits 15..12: ADDR_Y 0x0 (y in 10..0), ADDR_X 0x2 (polarity 11, x 10..0: one
event), VECT_BASE_X 0x3 (polarity 11, x 10..0), VECT_12 0x4 / VECT_8 0x5 (a validity mask of
12 / 8 pixels from the base x, which then advances by 12 / 8), TIME_LOW 0x6 and TIME_HIGH 0x8
(the low and high 12 bits of a 24-bit µs time), CONTINUED_4 0x7, EXT_TRIGGER 0xA, OTHERS 0xE,
CONTINUED_12 0xF (carried no CD event: skipped). The other codes are reserved: counted as
unknown words.

The state (y, base x, polarity, time) runs on from packet to packet, as the camera's stream
does; metavision_driver cuts packets anywhere. Events before the first TIME_HIGH + TIME_LOW
have no time and are counted, not guessed. TIME_HIGH going down by more than
``ROLLOVER_SLACK`` steps is the 24-bit time wrapping (16.8 s); a smaller step back is sensor
jitter (event_camera_codecs keeps the same slack for Gen3 sensors).
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ['WORD', 'ROLLOVER_SLACK', 'new_state', 'decode_words', 'encode_events']

WORD = np.dtype('<u2')
ROLLOVER_SLACK = 10
#: state slots: y, base x, polarity, time high (with rollover bits), time low, time validity
#: (0 none, 1 high seen, 2 valid)
_Y, _BASE, _POL, _HIGH, _LOW, _VALID = range(6)


def new_state() -> np.ndarray:
    return np.zeros(6, np.int64)


@numba.njit(cache=True, nogil=True)
def decode_words(words, state, width, height, records, counts):  # pragma: no cover - compiled
    """Decode ``words`` into ``records`` (an event array seen as int64 pairs: the timestamp,
    then x | y << 16 | polarity << 32, two stores an event) from index 0; returns the number
    of events. ``counts``: [unknown words, events off the sensor, events before a valid
    time, the sensor time of the packet's first event (kept or not; -1 before)]. ``records``
    must hold 12 events a word. Branches go most frequent first."""
    ey, base, pol = state[0], state[1], state[2]
    high, low, valid = state[3], state[4], state[5]
    now = high | low
    row = ey << 16
    n = 0
    for i in range(words.shape[0]):
        w = np.int64(words[i])
        code = w >> 12
        if code == 0x2:
            ex = w & 0x7FF
            if valid != 2:
                counts[2] += 1
                continue
            if counts[3] < 0:
                counts[3] = now
            if ex < width and ey < height:
                records[n, 0] = now
                records[n, 1] = ex | row | (((w >> 11) & 1) << 32)
                n += 1
            else:
                counts[1] += 1
        elif code == 0x4 or code == 0x5:
            size = 12 if code == 0x4 else 8
            mask = w & (0xFFF if code == 0x4 else 0xFF)
            if valid != 2:
                while mask:
                    mask &= mask - 1
                    counts[2] += 1
            elif mask and counts[3] < 0:
                counts[3] = now
            if valid == 2 and ey < height and base + size <= width:   # all on the sensor
                rest = row | (pol << 32)
                while mask:
                    bit = 0
                    while not (mask >> bit) & 1:
                        bit += 1
                    mask &= mask - 1
                    records[n, 0] = now
                    records[n, 1] = (base + bit) | rest
                    n += 1
            elif valid == 2:
                for bit in range(size):
                    if (mask >> bit) & 1:
                        if base + bit < width and ey < height:
                            records[n, 0] = now
                            records[n, 1] = (base + bit) | row | (pol << 32)
                            n += 1
                        else:
                            counts[1] += 1
            base += size
        elif code == 0x6:
            low = w & 0xFFF
            now = high | low
            if valid == 1:
                valid = 2
        elif code == 0x0:
            ey = w & 0x7FF
            row = ey << 16
        elif code == 0x3:
            base = w & 0x7FF
            pol = (w >> 11) & 1
        elif code == 0x8:
            step = w & 0xFFF
            last = (high >> 12) & 0xFFF
            if valid and step < last and last - step > 10:
                high += 1 << 24
            high = (high & ~np.int64(0xFFFFFF)) | (step << 12)
            now = high | low
            if valid == 0:
                valid = 1
        elif code == 0x7 or code == 0xA or code == 0xE or code == 0xF:
            pass
        else:
            counts[0] += 1
    state[0], state[1], state[2] = ey, base, pol
    state[3], state[4], state[5] = high, low, valid
    return n


@numba.njit(cache=True, nogil=True)
def encode_events(t, x, y, p, out):  # pragma: no cover - compiled
    """Words for time-sorted events (µs), self-contained: the first word sets the time and
    every packet can be decoded on its own. Runs of up to 12 events on one row, at one time
    and polarity, go as VECT_BASE_X + VECT_12; a silence of 2^23 µs or more gets intermediate
    TIME_HIGH words so a decoder sees every 24-bit wrap. ``out`` holds 4 words an event plus
    ``4 * (span >> 23) + 2``. Returns the number of words, or -1 if time goes backwards."""
    n = t.shape[0]
    k = 0
    last_high, last_low, last_y = np.int64(-1), np.int64(-1), np.int64(-1)
    last_t = t[0] if n else np.int64(0)
    i = 0
    while i < n:
        ti = t[i]
        if ti < last_t:
            return -1
        while ti - last_t >= (1 << 23):
            last_t += 1 << 23
            out[k] = 0x8000 | ((last_t >> 12) & 0xFFF)
            k += 1
            last_high = -1
        last_t = ti
        high = (ti >> 12) & 0xFFF
        low = ti & 0xFFF
        if high != last_high:
            out[k] = 0x8000 | high
            k += 1
            last_high = high
            last_low = -1
        if low != last_low:
            out[k] = 0x6000 | low
            k += 1
            last_low = low
        if y[i] != last_y:
            out[k] = y[i] & 0x7FF
            k += 1
            last_y = y[i]
        pol = 1 if p[i] > 0 else 0
        mask = 1
        j = i + 1
        while (j < n and t[j] == ti and y[j] == y[i] and (1 if p[j] > 0 else 0) == pol
               and x[j] > x[j - 1] and x[j] - x[i] < 12):
            mask |= 1 << (x[j] - x[i])
            j += 1
        if j - i > 1:
            out[k] = 0x3000 | (pol << 11) | (x[i] & 0x7FF)
            out[k + 1] = 0x4000 | mask
            k += 2
        else:
            out[k] = 0x2000 | (pol << 11) | (x[i] & 0x7FF)
            k += 1
        i = j
    return k
