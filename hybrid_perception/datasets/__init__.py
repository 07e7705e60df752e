"""Labelled data: synthetic and real gestures (DVS Gesture) and people (DHP19), moving-square
clips, subject splits, and evaluation bags with ground truth.

Each module is imported on its own (``hybrid_perception.datasets.gestures``): a dataset pulls
in the simulator and, for the bags, rosbags."""

__all__: list[str] = []
