import numpy as np
import pytest

from hybrid_perception.events.array import (
    EVENT_DTYPE,
    EventSanitizer,
    SensorSize,
    make_events,
    moved,
)


def test_layout_is_dv_processing_event_store_layout():
    import dv_processing as dv
    store = dv.EventStore()
    store.push_back(5, 1, 2, True)
    assert store.numpy().dtype == EVENT_DTYPE


def test_sanitizer_drops_and_counts_out_of_bounds_and_backwards():
    sanitize = EventSanitizer(SensorSize(10, 8))
    events = make_events([10, 20, 15, 30, 40, 35, 50],
                         [1, 10, 2, -1, 3, 4, 9],
                         [1, 1, 2, 3, 5, 4, 8],
                         [1, 0, 1, 0, 1, 0, 1])
    clean, drops = sanitize(events)
    # x=10, x=-1 and y=8 are off the 10x8 sensor; t=35 comes after t=40.
    assert clean['timestamp'].tolist() == [10, 15, 40]
    assert (drops.out_of_bounds, drops.backwards_in_time) == (3, 1)


def test_sanitizer_remembers_time_across_packets():
    sanitize = EventSanitizer(SensorSize(10, 10))
    sanitize(make_events([100, 200], [1, 1], [1, 1], [1, 1]))
    clean, drops = sanitize(make_events([150, 200, 250], [1, 1, 1], [1, 1, 1], [0, 0, 0]))
    assert clean['timestamp'].tolist() == [200, 250]
    assert drops.backwards_in_time == 1
    assert sanitize.drops.total == 1


def test_a_jump_back_beyond_new_stream_us_starts_the_order_over():
    sanitize = EventSanitizer(SensorSize(10, 10), new_stream_us=1_000_000)
    sanitize(make_events([5_000_000], [1], [1], [1]))
    clean, drops = sanitize(make_events([4_500_000, 4_600_000], [1, 1], [1, 1], [1, 1]))
    assert clean.size == 0 and drops.backwards_in_time == 2      # half a second back: late
    clean, drops = sanitize(make_events([20, 10, 30], [1, 1, 1], [1, 1, 1], [1, 1, 1]))
    assert clean['timestamp'].tolist() == [20, 30] and drops.backwards_in_time == 1
    assert sanitize.new_streams == 1


def test_wild_timestamp_off_sensor_does_not_poison_later_events():
    sanitize = EventSanitizer(SensorSize(10, 10))
    clean, drops = sanitize(make_events([10, 10**12, 20], [1, 99, 2], [1, 1, 1], [1, 1, 1]))
    assert clean['timestamp'].tolist() == [10, 20]
    assert (drops.out_of_bounds, drops.backwards_in_time) == (1, 0)


@pytest.mark.parametrize('size', [(0, 10), (10, -1), (70000, 10)])
def test_sensor_size_rejects_impossible_sizes(size):
    with pytest.raises(ValueError):
        SensorSize(*size)


def test_clean_packet_is_passed_without_copy():
    sanitize = EventSanitizer(SensorSize(10, 10))
    events = make_events(np.arange(5), np.arange(5), np.arange(5), np.ones(5))
    clean, _ = sanitize(events)
    assert clean is events


def test_moved_events_keep_their_times_and_polarities_and_those_leaving_the_sensor_go():
    events = make_events([1, 2, 3, 4], [0, 5, 9, 3], [0, 2, 7, 7], [1, 0, 1, 0])
    out = moved(events, 2, -1, width=10, height=8)
    # (0,0) leaves at the top, (9,7) leaves on the right; (5,2) and (3,7) stay, moved
    np.testing.assert_array_equal(out['timestamp'], [2, 4])
    np.testing.assert_array_equal(out['x'], [7, 5])
    np.testing.assert_array_equal(out['y'], [1, 6])
    np.testing.assert_array_equal(out['polarity'], [0, 0])
    assert events['x'][1] == 5                          # the input is left as it was
