import copy

import numpy as np
import pytest

from hybrid_perception.events.array import SensorSize
from hybrid_perception.sim.reference import simulate_step_loop
from hybrid_perception.sim.scenes import MovingEdgeScene
from hybrid_perception.sim.simulator import DvsParams, DvsSimulator

EPS = DvsParams().log_eps


@pytest.mark.parametrize('refractory_us', [0.0, 150.0, 3000.0])
def test_vectorised_step_equals_per_pixel_reference(rng, refractory_us):
    sensor = SensorSize(23, 17)
    sim = DvsSimulator(sensor, DvsParams(refractory_us=refractory_us), rng=5)
    base = rng.random((17, 23))
    sim.reset(base, 0)
    twin = copy.deepcopy(sim)
    total = 0
    for k in range(1, 6):
        frame = np.clip(base + rng.normal(0, 0.4, base.shape), 0, 1)
        fast, slow = sim.step(frame, k * 1000), simulate_step_loop(twin, frame, k * 1000)
        order = ['timestamp', 'y', 'x']
        assert np.array_equal(np.sort(fast, order=order), np.sort(slow, order=order))
        assert np.allclose(sim.reference, twin.reference)
        total += fast.size
    assert total > 100


def edge_events(speed_px_s, params):
    sensor = SensorSize(32, 4)
    scene = MovingEdgeScene(sensor, speed_px_s=speed_px_s, dark=0.1, bright=0.9,
                            softness_px=4.0)
    sim = DvsSimulator(sensor, params, rng=0)
    t0 = 0.02  # start with the edge inside the frame
    sim.reset(scene.frame(t0), int(t0 * 1e6))
    chunks = [sim.step(scene.frame(t0 + k * 1e-4), int((t0 + k * 1e-4) * 1e6))
              for k in range(1, 801)]
    return sensor, np.concatenate(chunks)


def test_bright_edge_moving_right_yields_on_events_of_the_predicted_count():
    params = DvsParams(threshold_mismatch=0.0, refractory_us=0.0)
    sensor, events = edge_events(200.0, params)
    assert events.size > 0
    assert (events['polarity'] == 1).all()  # dark -> bright everywhere the edge passes
    # Pixels the edge fully crossed went from 0.1 to 0.9: floor(log-step / C) events each.
    per_pixel = np.bincount(events['y'] * sensor.width + events['x'],
                            minlength=sensor.width * sensor.height).reshape(4, 32)
    expected = np.floor((np.log(0.9 + EPS) - np.log(0.1 + EPS)) / params.threshold_on)
    # The 4 px wide edge moves from x=4 to x=20 in 80 ms: x=6..18 saw all of it.
    crossed = per_pixel[:, 6:19]
    assert (crossed == expected).all()
    assert np.all(np.diff(events['timestamp']) >= 0)
    # Along x the edge arrives later: first-event times increase with x on a row.
    row = events[events['y'] == 0]
    first = [row['timestamp'][row['x'] == x].min() for x in range(6, 19)]
    assert np.all(np.diff(first) > 0)


def test_edge_moving_back_yields_off_events():
    params = DvsParams(threshold_mismatch=0.0, refractory_us=0.0)
    sensor = SensorSize(32, 4)
    scene = MovingEdgeScene(sensor, speed_px_s=200.0)
    sim = DvsSimulator(sensor, params)
    sim.reset(scene.frame(0.08), 0)
    events = sim.step(scene.frame(0.04), 1000)  # the edge retreats: bright -> dark
    assert events.size > 0 and (events['polarity'] == 0).all()


def test_refractory_period_limits_rate_per_pixel():
    params = DvsParams(threshold_mismatch=0.0, refractory_us=2000.0)
    _, events = edge_events(200.0, params)
    for pixel in np.unique(events['y'] * 32 + events['x']):
        t = events['timestamp'][events['y'] * 32 + events['x'] == pixel]
        assert np.all(np.diff(t) >= 1999)  # floor() of float times may shave 1 µs


def test_static_scene_is_silent_without_noise():
    sim = DvsSimulator(SensorSize(16, 16), DvsParams(), rng=1)
    frame = np.full((16, 16), 0.5)
    sim.reset(frame, 0)
    assert sum(sim.step(frame, k * 1000).size for k in range(1, 20)) == 0


def test_noise_and_hot_pixels_fire_at_their_rates():
    params = DvsParams(shot_noise_hz=2.0, hot_pixel_fraction=0.01, hot_pixel_hz=500.0)
    sensor = SensorSize(100, 100)
    sim = DvsSimulator(sensor, params, rng=2)
    frame = np.full((100, 100), 0.5)
    sim.reset(frame, 0)
    events = np.concatenate([sim.step(frame, k * 10_000) for k in range(1, 101)])  # 1 s
    hot = np.isin(events['y'] * 100 + events['x'], sim.hot_pixels)
    assert abs((~hot).sum() - 2.0 * 10_000) < 5 * np.sqrt(2.0 * 10_000)
    assert abs(hot.sum() - 100 * 500) < 5 * np.sqrt(100 * 500)


def test_seeded_simulations_are_reproducible():
    def run(seed):
        sim = DvsSimulator(SensorSize(16, 16), DvsParams(shot_noise_hz=50.0), rng=seed)
        sim.reset(np.full((16, 16), 0.5), 0)
        return sim.step(np.full((16, 16), 0.5), 10_000)
    assert np.array_equal(run(3), run(3)) and not np.array_equal(run(3), run(4))


def test_time_must_advance_and_shape_must_match():
    sim = DvsSimulator(SensorSize(8, 8))
    sim.reset(np.zeros((8, 8)), 100)
    with pytest.raises(ValueError, match='not after'):
        sim.step(np.zeros((8, 8)), 100)
    with pytest.raises(ValueError, match='shape'):
        sim.step(np.zeros((8, 9)), 200)
