"""DHP19's 13 joints, the skeleton drawn between them, and the mean per-joint position error.

The order is the one DHP19's label files use (``/XYZ``, 13 x 3 per frame, filled from the Vicon
``XYZPOS`` fields by ``generate_DHP19/ExtractEventsToFramesAndMeanLabels.m`` in SensorsINI/DHP19:
head, shoulderR, shoulderL, elbowR, elbowL, hipR, hipL, handR, handL, kneeR, kneeL, footR,
footL), so tensors read from the real dataset and from our synthetic one index the same joint
with the same number.
"""

from __future__ import annotations

import numpy as np

__all__ = ['BONES', 'JOINTS', 'N_JOINTS', 'mpjpe']

JOINTS = ('head', 'shoulderR', 'shoulderL', 'elbowR', 'elbowL', 'hipR', 'hipL', 'handR',
          'handL', 'kneeR', 'kneeL', 'footR', 'footL')
N_JOINTS = len(JOINTS)


def _bone(a: str, b: str) -> tuple[int, int]:
    return JOINTS.index(a), JOINTS.index(b)


#: Pairs of joint indices drawn as skeleton lines (rviz markers, plots).
BONES = tuple(_bone(a, b) for a, b in (
    ('head', 'shoulderR'), ('head', 'shoulderL'), ('shoulderR', 'shoulderL'),
    ('shoulderR', 'elbowR'), ('elbowR', 'handR'), ('shoulderL', 'elbowL'), ('elbowL', 'handL'),
    ('shoulderR', 'hipR'), ('shoulderL', 'hipL'), ('hipR', 'hipL'),
    ('hipR', 'kneeR'), ('kneeR', 'footR'), ('hipL', 'kneeL'), ('kneeL', 'footL'),
))


def mpjpe(predicted: np.ndarray, truth: np.ndarray) -> float:
    """Mean per-joint position error: the mean Euclidean distance over all joints and frames.

    Works for 2D (pixels) and 3D (any length unit); joints whose truth is NaN (outside the view,
    as DHP19 marks them) are left out rather than poisoning the mean.
    """
    predicted, truth = np.asarray(predicted, np.float64), np.asarray(truth, np.float64)
    if predicted.shape != truth.shape:
        raise ValueError(f'prediction {predicted.shape} and truth {truth.shape} differ in shape')
    distances = np.linalg.norm(predicted - truth, axis=-1)
    known = np.isfinite(distances)
    if not known.any():
        raise ValueError('no joint with a known position to score')
    return float(distances[known].mean())
