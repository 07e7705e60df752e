import numpy as np
import pytest

from hybrid_perception.events.array import SensorSize, make_events
from hybrid_perception.events.representations import (
    OFF_BGR,
    ON_BGR,
    CountFrame,
    SpikeTensor,
    render_bgr,
    to_count_frame,
    to_spike_tensor,
)
from hybrid_perception.sim.reference import spike_tensor_loop


def random_events(rng, n, sensor, t_max):
    t = np.sort(rng.integers(0, t_max, n))
    return make_events(t, rng.integers(0, sensor.width, n), rng.integers(0, sensor.height, n),
                       rng.integers(0, 2, n))


@pytest.mark.parametrize('downsample', [1, 2, 3])
def test_spike_tensor_matches_per_event_loop(rng, downsample):
    sensor = SensorSize(34, 20)
    events = random_events(rng, 3000, sensor, 12_000)
    kwargs = dict(t_start_us=1000, bin_us=1000, n_bins=8, downsample=downsample)
    expected = spike_tensor_loop(events, sensor, **kwargs)
    got = to_spike_tensor(events, sensor, **kwargs)
    assert got.shape == (8, 2, -(-20 // downsample), -(-34 // downsample))
    assert np.array_equal(got, expected)
    # Events outside [1000, 9000) are not counted.
    inside = (events['timestamp'] >= 1000) & (events['timestamp'] < 9000)
    assert got.sum() == inside.sum()


def test_unsorted_events_bin_like_sorted_ones(rng):
    sensor = SensorSize(16, 12)
    events = random_events(rng, 2000, sensor, 5000)
    shuffled = events[rng.permutation(events.size)]
    kwargs = dict(t_start_us=500, bin_us=700, n_bins=6, downsample=2)
    assert np.array_equal(to_spike_tensor(shuffled, sensor, **kwargs),
                          spike_tensor_loop(events, sensor, **kwargs))


def test_binary_spikes_clip_counts(rng):
    sensor = SensorSize(4, 4)
    events = make_events([0, 1, 2], [1, 1, 1], [2, 2, 2], [1, 1, 0])
    tensor = SpikeTensor(sensor, bin_us=10, n_bins=1, binary=True)(events, 0)
    assert tensor[0, 1, 2, 1] == 1.0 and tensor[0, 0, 2, 1] == 1.0 and tensor.sum() == 2.0


def test_count_frame_channels(rng):
    sensor = SensorSize(16, 8)
    events = random_events(rng, 500, sensor, 1000)
    frame = CountFrame(sensor)(events)
    assert frame.shape == (2, 8, 16)
    assert frame[1].sum() == (events['polarity'] == 1).sum()
    assert np.array_equal(frame, to_count_frame(events, sensor))


def test_render_colours_by_polarity():
    sensor = SensorSize(5, 4)
    image = render_bgr(make_events([0, 1], [1, 3], [2, 0], [1, 0]), sensor)
    assert image.shape == (4, 5, 3) and image.dtype == np.uint8
    assert tuple(image[2, 1]) == ON_BGR and tuple(image[0, 3]) == OFF_BGR
    assert (image.reshape(-1, 3) == 255).all(axis=1).sum() == 18


def test_invalid_binning_is_rejected():
    with pytest.raises(ValueError):
        to_spike_tensor(make_events([], [], [], []), SensorSize(2, 2), t_start_us=0, bin_us=0,
                        n_bins=1)
