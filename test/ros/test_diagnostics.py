"""The figures /diagnostics carries that are worked out, not counted."""

from hybrid_perception.ros.diagnostics import RealTimeLoad


def test_real_time_load_is_compute_over_the_sensor_time_covered_since_the_last_report():
    load = RealTimeLoad()
    assert load.take() is None                      # nothing done yet
    load.add(0.030, 0.0)                            # a packet that completed no window
    load.add(0.050, 0.040)
    load.add(0.040, 0.080)                          # two windows in one packet
    assert abs(load.take() - 0.120 / 0.120) < 1e-12
    load.add(0.100, 0.040)
    assert abs(load.take() - 2.5) < 1e-12           # the last report's work is not counted
    assert load.take() is None
