"""The event and its forms: the array, its kernels, the PointCloud2 layout, representations."""

from hybrid_perception.events.array import (
    EVENT_DTYPE,
    DropCounts,
    EventSanitizer,
    SensorSize,
    concatenate,
    empty_events,
    make_events,
    select,
)
from hybrid_perception.events.pointcloud import (
    POINT_DTYPE,
    POINT_FIELDS,
    decode_points,
    encode_points,
    points_view,
)
from hybrid_perception.events.representations import (
    CountFrame,
    SpikeTensor,
    render_bgr,
    to_count_frame,
    to_spike_tensor,
)

__all__ = [
    'EVENT_DTYPE', 'POINT_DTYPE', 'POINT_FIELDS', 'SensorSize', 'DropCounts', 'EventSanitizer',
    'make_events', 'empty_events', 'concatenate', 'select', 'encode_points', 'decode_points',
    'points_view', 'to_spike_tensor', 'to_count_frame', 'render_bgr', 'SpikeTensor',
    'CountFrame',
]
