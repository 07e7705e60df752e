"""SensorFit: a region of a camera, binned and centred in a model's input."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hybrid_perception.events.array import SensorSize, make_events
from hybrid_perception.events.fitting import SensorFit

MODEL = SensorSize(128, 128)


@pytest.mark.parametrize('camera, factor, offset', [
    ((128, 128), 1, (0, 0)), ((240, 180), 2, (4, 19)), ((346, 260), 3, (6, 20)),
    ((640, 480), 5, (0, 16)), ((1280, 720), 10, (0, 28))])
def test_the_whole_camera_fits_centred(camera, factor, offset):
    fit = SensorFit(SensorSize(*camera), MODEL)
    assert (fit.factor, fit.offset) == (factor, offset)
    w, h = camera
    events = make_events([0, 1], [0, w - 1], [0, h - 1], [1, 0])
    mapped, cropped = fit(events)
    assert cropped == 0
    assert (mapped['x'][0], mapped['y'][0]) == offset
    assert mapped['x'][1] == (w - 1) // factor + offset[0] < 128
    assert mapped['y'][1] == (h - 1) // factor + offset[1] < 128
    assert list(mapped['timestamp']) == [0, 1] and list(mapped['polarity']) == [1, 0]


def test_events_outside_the_region_are_cropped_and_off_sensor_ones_left_for_the_sanitizer():
    fit = SensorFit(SensorSize(640, 480), MODEL, roi=(128, 48, 384, 384), scale=3)
    events = make_events([0, 1, 2, 3], [128 + 3 * 7, 10, 700, 511], [48 + 3 * 9, 10, 5, 431],
                         [1, 1, 1, 0])
    mapped, cropped = fit(events)
    assert cropped == 1
    assert list(mapped['x']) == [7, -1, 127] and list(mapped['y'][[0, 2]]) == [9, 127]


@pytest.mark.parametrize('roi, scale, message', [
    ((600, 0, 100, 100), 0, 'not inside'), ((0, 0, 640, 480), 2, 'larger than'),
    (None, -1, 'scale')])
def test_impossible_fits_are_refused(roi, scale, message):
    with pytest.raises(ValueError, match=message):
        SensorFit(SensorSize(640, 480), MODEL, roi=roi, scale=scale)


@given(st.integers(1, 2000), st.integers(1, 2000), st.integers(0, 10**6))
def test_every_event_on_the_camera_lands_in_the_model(width, height, seed):
    fit = SensorFit(SensorSize(width, height), MODEL)
    rng = np.random.default_rng(seed)
    n = 100
    events = make_events(np.arange(n), rng.integers(0, width, n), rng.integers(0, height, n),
                         np.ones(n))
    mapped, cropped = fit(events)
    assert cropped == 0 and mapped.size == n
    assert mapped['x'].min() >= 0 and mapped['x'].max() < 128
    assert mapped['y'].min() >= 0 and mapped['y'].max() < 128


@pytest.mark.parametrize('roi, scale', [(None, 0), ((100, 40, 300, 300), 3), (None, 7)])
def test_positions_on_the_model_map_back_to_the_block_they_came_from(roi, scale):
    fit = SensorFit(SensorSize(640, 480), MODEL, roi=roi, scale=scale)
    x0, y0, w, h = fit.region
    rng = np.random.default_rng(0)
    xy = np.stack([rng.integers(x0, x0 + w, 50), rng.integers(y0, y0 + h, 50)], -1)
    mapped, _ = fit(make_events(np.arange(50), xy[:, 0], xy[:, 1], np.ones(50)))
    back = fit.to_camera(np.stack([mapped['x'], mapped['y']], -1))
    assert np.abs(back - xy).max() <= (fit.factor - 1) / 2
    assert np.array_equal(SensorFit(MODEL, MODEL).to_camera(xy), xy)
    # a labelled point goes to the model and back; a pixel lands in its block
    np.testing.assert_allclose(fit.to_camera(fit.to_model(xy)), xy, atol=1e-9)
    assert (np.abs(fit.to_model(xy) - np.stack([mapped['x'], mapped['y']], -1)) <= 0.5).all()
