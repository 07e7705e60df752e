"""Recordings and cameras, without ROS: AEDAT4, rosbag2, event sources and the paced player."""

from hybrid_perception.io.aedat4 import Aedat4Reader, read_aedat4, write_aedat4
from hybrid_perception.io.rosbag import EventBagReader, EventBagWriter
from hybrid_perception.io.sources import (
    CameraSource,
    Packetizer,
    SyntheticSource,
    looping,
    open_source,
)

__all__ = ['Aedat4Reader', 'read_aedat4', 'write_aedat4', 'EventBagReader', 'EventBagWriter',
           'SyntheticSource', 'CameraSource', 'Packetizer', 'looping', 'open_source']
