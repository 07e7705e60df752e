import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hybrid_perception.errors import EventFormatError
from hybrid_perception.events.array import make_events
from hybrid_perception.events.pointcloud import (
    POINT_DTYPE,
    POINT_FIELDS,
    PointField,
    decode_points,
    encode_points,
    points_view,
    stamp_from_us,
    us_from_stamp,
)

events_strategy = st.lists(
    st.tuples(st.integers(0, 2**32 - 1), st.integers(0, 32767), st.integers(0, 32767),
              st.booleans()), max_size=200,
).map(lambda rows: make_events(*(np.array(c) for c in zip(*rows, strict=True)))
      if rows else make_events([], [], [], []))


@given(events=events_strategy, stamp=st.integers(0, 2**40))
def test_encode_decode_round_trip(events, stamp):
    events = events.copy()
    events['timestamp'] += stamp
    points = encode_points(events, stamp)
    view = points_view(points.tobytes(), POINT_FIELDS, POINT_DTYPE.itemsize, points.size)
    assert np.array_equal(decode_points(view, stamp), events)


def test_wire_layout_is_the_topic_contract():
    assert POINT_DTYPE.itemsize == 9
    assert [(f.name, f.offset, f.datatype) for f in POINT_FIELDS] == [
        ('x', 0, 4), ('y', 2, 4), ('t', 4, 6), ('polarity', 8, 2)]


def test_view_is_zero_copy():
    points = encode_points(make_events([5, 6], [1, 2], [3, 4], [1, 0]), 5)
    data = bytearray(points.tobytes())
    view = points_view(data, POINT_FIELDS, 9, 2)
    data[0] = 7
    assert view['x'][0] == 7


def test_decodes_foreign_layout_with_padding_and_extra_fields():
    dtype = np.dtype({'names': ['polarity', 'x', 'y', 't', 'extra'],
                      'formats': ['u1', '<u2', '<u2', '<u4', '<f4'],
                      'offsets': [0, 2, 4, 8, 12], 'itemsize': 16})
    points = np.zeros(3, dtype=dtype)
    points['x'], points['y'], points['t'], points['polarity'] = [1, 2, 3], [4, 5, 6], \
        [0, 10, 20], [1, 0, 1]
    fields = [PointField('polarity', 0, 2), PointField('x', 2, 4), PointField('y', 4, 4),
              PointField('t', 8, 6), PointField('extra', 12, 7)]
    events = decode_points(points_view(points.tobytes(), fields, 16, 3), 1000)
    assert events['timestamp'].tolist() == [1000, 1010, 1020]
    assert events['x'].tolist() == [1, 2, 3] and events['polarity'].tolist() == [1, 0, 1]


def test_truncated_buffer_is_a_format_error():
    points = encode_points(make_events([0, 1], [1, 2], [3, 4], [1, 0]), 0)
    with pytest.raises(EventFormatError, match='bytes'):
        points_view(points.tobytes()[:-1], POINT_FIELDS, 9, 2)


def test_missing_field_is_a_format_error():
    view = points_view(bytes(8), [PointField('x', 0, 4), PointField('y', 2, 4)], 4, 2)
    with pytest.raises(EventFormatError, match='polarity'):
        decode_points(view, 0)


def test_field_outside_point_is_a_format_error():
    with pytest.raises(EventFormatError, match='outside'):
        points_view(bytes(18), [PointField('t', 6, 6)], 9, 2)


def test_events_before_stamp_cannot_be_encoded():
    with pytest.raises(EventFormatError, match='relative'):
        encode_points(make_events([5, 10], [0, 0], [0, 0], [0, 0]), 6)


@given(st.integers(0, 2**50))
def test_stamp_round_trip(t_us):
    assert us_from_stamp(*stamp_from_us(t_us)) == t_us
