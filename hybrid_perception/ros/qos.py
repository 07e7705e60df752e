"""The package's QoS choices, in one place.

Live sensor streams are best effort (a late packet is worthless; never block the camera).
Replayed files are reliable with KEEP_ALL history: a replay run as fast as possible must
deliver every event, so the publisher waits for slow readers instead of overwriting samples
they have not read yet. Results are reliable with a history deep enough for their bursts.
"""

from __future__ import annotations

from rclpy.qos import HistoryPolicy, QoSProfile, ReliabilityPolicy, qos_profile_sensor_data

__all__ = ['stream_qos', 'RESULTS_QOS', 'RELIABILITIES']

RELIABILITIES = ('auto', 'reliable', 'best_effort')
# Results come in bursts (a late packet closes many steps at once: at 200 Hz a 50 ms gap is ten
# poses in one callback), so their history holds two seconds of the fastest stream.
RESULTS_QOS = QoSProfile(depth=400, reliability=ReliabilityPolicy.RELIABLE)


def stream_qos(reliability: str, *, live: bool, depth: int = 1000) -> QoSProfile:
    """QoS of an event stream; ``auto`` is best effort for live sources, reliable otherwise."""
    if reliability not in RELIABILITIES:
        raise ValueError(f'reliability must be one of {RELIABILITIES}, got {reliability!r}')
    if reliability == 'best_effort' or (reliability == 'auto' and live):
        return QoSProfile(depth=depth, reliability=ReliabilityPolicy.BEST_EFFORT,
                          history=qos_profile_sensor_data.history)
    return QoSProfile(depth=depth, reliability=ReliabilityPolicy.RELIABLE,
                      history=HistoryPolicy.KEEP_ALL)
