"""Hybrid spiking/artificial neural networks on event-camera data, for ROS 2.

The library (everything but :mod:`hybrid_perception.ros`) knows nothing of ROS: it is usable
from a notebook, a training script or a benchmark.
"""

__version__ = '0.1.0'
__all__ = ['__version__']
