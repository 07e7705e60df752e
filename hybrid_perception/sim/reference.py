"""Plain-Python, per-event reference implementations of the vectorised event code.

They are the specification the fast paths are tested against, and the "straightforward loop"
the benchmarks compare them with. Nothing in the package calls them at run time.
"""

from __future__ import annotations

import math

import numpy as np

from hybrid_perception.events.array import EVENT_DTYPE, SensorSize
from hybrid_perception.sim.simulator import DvsSimulator, log_intensity

__all__ = ['encode_points_loop', 'spike_tensor_loop', 'simulate_step_loop']


def encode_points_loop(events: np.ndarray, stamp_us: int) -> bytes:
    import struct
    pack = struct.Struct('<HHIB').pack
    return b''.join(pack(int(e['x']), int(e['y']), int(e['timestamp']) - stamp_us,
                         int(e['polarity'])) for e in events)


def spike_tensor_loop(events: np.ndarray, sensor: SensorSize, *, t_start_us: int, bin_us: int,
                      n_bins: int, downsample: int = 1) -> np.ndarray:
    h, w = -(-sensor.height // downsample), -(-sensor.width // downsample)
    out = np.zeros((n_bins, 2, h, w), dtype=np.float32)
    for e in events:
        b = (int(e['timestamp']) - t_start_us) // bin_us
        if 0 <= b < n_bins:
            out[b, int(e['polarity'] > 0), int(e['y']) // downsample,
                int(e['x']) // downsample] += 1
    return out


def simulate_step_loop(sim: DvsSimulator, frame: np.ndarray, t_us: int) -> np.ndarray:
    """One noiseless :meth:`DvsSimulator.step`, pixel by pixel and crossing by crossing.

    Mutates ``sim``'s state exactly as ``step`` does, so the two can be run side by side on
    copies of one simulator.
    """
    log_now = log_intensity(frame, sim.params.log_eps).reshape(-1)
    dt = t_us - sim.last_t_us
    out = []
    for p in range(log_now.size):
        diff = log_now[p] - sim.reference[p]
        c = sim.threshold_on[p] if diff >= 0 else sim.threshold_off[p]
        n = math.floor(abs(diff) / c)
        if n == 0:
            continue
        sign = 1.0 if diff > 0 else -1.0
        slope = log_now[p] - sim.last_log[p]
        a = sim.last_t_us + (sim.reference[p] - sim.last_log[p]) / slope * dt
        b = sign * c / slope * dt
        for k in range(1, n + 1):
            t = a + k * b
            if t >= sim.last_event_us[p] + sim.params.refractory_us:
                out.append((math.floor(t), p % sim.sensor.width, p // sim.sensor.width,
                            sign > 0))
                sim.last_event_us[p] = t
        sim.reference[p] += sign * n * c
    sim.last_log = log_now
    sim.last_t_us = t_us
    events = np.array(out, dtype=[('timestamp', '<i8'), ('x', '<i2'), ('y', '<i2'),
                                  ('polarity', 'i1')]).astype(EVENT_DTYPE)
    return events[np.argsort(events['timestamp'], kind='stable')]
