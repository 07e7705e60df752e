"""The event rate each model's stages sustain in real time, one thread, without ROS transport.

A 2-second stream at each event rate (a moving scene from the DVS simulator, topped up with
uniform noise to the rate; 128x128 for H1, a 346x260 DAVIS346 view fitted into H2's input) is
pushed through the stages the live nodes run (``GesturePipeline``, ``PosePipeline``: windowing,
the SNN on each backend, the accumulator, the ANN) in 5 ms packets, as a node receives them.
Reported: compute seconds per second of stream (the real-time load; above 1 the stages fall
behind), and the highest rate below 1, next to a DAVIS346's 12 M events/s and the ~48 M
events/s metavision_driver publishes from a Prophesee Gen4 (../shared/REFERENCES.md). The ROS
graph adds its own per-message cost on top. Ends with one JSON line.

    scripts/with-venv.sh python benchmarks/event_rate.py [--rates 1 3 10 30]
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from hybrid_perception.events.array import SensorSize, concatenate, make_events
from hybrid_perception.hybrid.gesture.bundle import load_bundle
from hybrid_perception.hybrid.gesture.stream import GesturePipeline
from hybrid_perception.hybrid.pose.bundle import load_pose_bundle
from hybrid_perception.hybrid.pose.stream import PosePipeline
from hybrid_perception.io.sources import SyntheticSource

SECONDS = 2.0
PACKET_US = 5000
DAVIS346_MEV = 12.0      # a DAVIS346's bandwidth, M events/s (as issue #23 gives it)
GEN4_DRIVER_MEV = 48.0   # metavision_driver publishing a Gen4 camera, M events/s (REFERENCES.md)


def stream(sensor: SensorSize, rate_mev: float, rng: np.random.Generator) -> np.ndarray:
    """SECONDS of a simulated moving scene plus uniform noise, ``rate_mev`` M events/s."""
    scene = concatenate([c for c in SyntheticSource(sensor, duration_s=SECONDS, seed=1)
                         if c.size])
    wanted = int(rate_mev * 1e6 * SECONDS)
    if scene.size > wanted:  # thinned evenly over the whole time, not cut short
        scene = scene[np.sort(rng.choice(scene.size, wanted, replace=False))]
    n = wanted - scene.size
    noise = make_events(np.sort(rng.integers(0, int(SECONDS * 1e6), n)),
                        rng.integers(0, sensor.width, n), rng.integers(0, sensor.height, n),
                        rng.integers(0, 2, n))
    merged = concatenate([scene, noise])
    return merged[np.argsort(merged['timestamp'], kind='stable')]


def load(pipeline, events: np.ndarray, warm_s: float = 0.2) -> float:
    """Compute seconds per second of stream, pushing 5 ms packets; the first ``warm_s`` warm
    the pipeline up (first calls, compilation) and are not timed."""
    t = events['timestamp']
    cuts = np.searchsorted(t, np.arange(t[0], t[-1] + PACKET_US, PACKET_US))
    warm = int(warm_s * 1e6 / PACKET_US)
    for lo, hi in zip(cuts[:warm], cuts[1:warm + 1], strict=False):
        pipeline.push(events[lo:hi])
    started = time.perf_counter()
    for lo, hi in zip(cuts[warm:], cuts[warm + 1:], strict=False):
        pipeline.push(events[lo:hi])
    return (time.perf_counter() - started) / (SECONDS - warm_s)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--rates', type=float, nargs='+', default=[1.0, 3.0, 10.0, 30.0],
                        help='event rates to try, M events/s')
    parser.add_argument('--only', default='', help='only the pipelines whose name holds this')
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    gesture_sensor, pose_sensor = SensorSize(128, 128), SensorSize(346, 260)
    pipelines = {
        f'H1 {name} ({backend})': (gesture_sensor, lambda n=name, b=backend: GesturePipeline(
            load_bundle(f'gesture/{n}'), gesture_sensor, snn_backend=b))
        for name in ('hybrid', 'ann', 'snn') for backend in ('compiled', 'torch')
        if not (name == 'ann' and backend == 'torch')}
    pipelines.update({
        f'H2 {snn} 100 Hz, one camera ({backend})': (pose_sensor, lambda s=snn, b=backend:
            PosePipeline(load_pose_bundle('pose'), pose_sensor, snn=s, snn_backend=b))
        for snn in ('hybrid', 'alone') for backend in ('compiled', 'torch')})
    streams = {}
    figures: dict[str, dict] = {}
    print(f'{"pipeline":<40} ' + ' '.join(f'{r:>8g}' for r in args.rates)
          + '   (compute s per stream s, at M events/s)')
    for name, (sensor, make) in pipelines.items():
        if args.only not in name:
            continue
        loads = []
        for rate in args.rates:
            events = streams.setdefault((sensor, rate), stream(sensor, rate, rng))
            loads.append(load(make(), events))
        sustained = max((r for r, x in zip(args.rates, loads, strict=True) if x < 1.0),
                        default=0.0)
        figures[name] = {'load': dict(zip(map(str, args.rates), map(lambda x: round(x, 3),
                                                                    loads), strict=True)),
                         'sustained_mev_per_s': sustained}
        print(f'{name:<40} ' + ' '.join(f'{x:>8.2f}' for x in loads)
              + f'   sustains {sustained:g} M ev/s')
    print(f'for scale: DAVIS346 {DAVIS346_MEV:g} M ev/s; a Prophesee Gen4 through '
          f'metavision_driver ~{GEN4_DRIVER_MEV:g} M ev/s')
    print(json.dumps({'event_rate': figures}))


if __name__ == '__main__':
    main()
