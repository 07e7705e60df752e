"""Recordings and cameras, without ROS: every common recording format, rosbag2, event sources
and the paced player."""

from hybrid_perception.io.recordings import open_recording
from hybrid_perception.io.recordings.aedat4 import Aedat4Reader, read_aedat4, write_aedat4
from hybrid_perception.io.rosbag import EventBagReader, EventBagWriter
from hybrid_perception.io.sources import (
    CameraSource,
    Packetizer,
    SyntheticSource,
    looping,
    open_source,
)

__all__ = ['open_recording', 'Aedat4Reader', 'read_aedat4', 'write_aedat4', 'EventBagReader',
           'EventBagWriter', 'SyntheticSource', 'CameraSource', 'Packetizer', 'looping',
           'open_source']
