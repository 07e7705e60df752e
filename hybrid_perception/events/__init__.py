"""Event arrays, codecs, file I/O, representations, the DVS simulator and event sources."""

from .aedat4 import Aedat4Reader, read_aedat4, write_aedat4
from .array import (
                    EVENT_DTYPE,
                    DropCounts,
                    EventSanitizer,
                    SensorSize,
                    concatenate,
                    empty_events,
                    make_events,
                    select,
)
from .pointcloud import POINT_DTYPE, POINT_FIELDS, decode_points, encode_points, points_view
from .representations import CountFrame, SpikeTensor, render_bgr, to_count_frame, to_spike_tensor
from .rosbag import EventBagReader, EventBagWriter
from .simulator import DvsParams, DvsSimulator
from .sources import CameraSource, Packetizer, SyntheticSource, looping, open_source

__all__ = [
    'EVENT_DTYPE', 'POINT_DTYPE', 'POINT_FIELDS', 'SensorSize', 'DropCounts', 'EventSanitizer',
    'make_events', 'empty_events', 'concatenate', 'select', 'encode_points', 'decode_points',
    'points_view', 'to_spike_tensor', 'to_count_frame', 'render_bgr', 'SpikeTensor',
    'CountFrame', 'DvsParams', 'DvsSimulator', 'Aedat4Reader', 'read_aedat4', 'write_aedat4',
    'EventBagReader', 'EventBagWriter', 'SyntheticSource', 'CameraSource', 'Packetizer',
    'looping', 'open_source',
]
