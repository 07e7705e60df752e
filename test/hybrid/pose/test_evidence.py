"""H2's per-joint confidence on rendered people: joints where the person moves are backed,
joints over uniform noise, off the sensor or below a waist-up framing are not."""

from __future__ import annotations

import numpy as np
import pytest

from hybrid_perception.datasets.people import SENSOR, PeopleRenderer, people
from hybrid_perception.events.representations import to_spike_tensor
from hybrid_perception.geometry.joints import JOINTS
from hybrid_perception.hybrid.pose.evidence import MIN_JOINT_CONFIDENCE, JointEvidence
from hybrid_perception.hybrid.pose.windows import PoseWindows, pose_at
from hybrid_perception.sim.noise import uniform_noise

WINDOWS = PoseWindows()
DURATION = 1_500_000
LEGS = [JOINTS.index(j) for j in ('hipR', 'hipL', 'kneeR', 'kneeL', 'footR', 'footL')]


@pytest.fixture(scope='module')
def walking():
    """One view of a test person walking in place: the legs move, the head and arms hardly."""
    return PeopleRenderer().take(0, people('test')[0], DURATION, np.random.default_rng(0))


def scored(events: np.ndarray, joints_at) -> np.ndarray:
    """(steps after the first 0.5 s, J) confidence of ``joints_at(t_us)`` as the SNN's steps
    feed the evidence."""
    evidence = JointEvidence(WINDOWS.sensor, WINDOWS.downsample)
    spikes = to_spike_tensor(events, SENSOR, t_start_us=0, bin_us=WINDOWS.step_us,
                             n_bins=DURATION // WINDOWS.step_us, downsample=WINDOWS.downsample,
                             binary=True)
    out = []
    for k, step in enumerate(spikes):
        evidence.add(step, WINDOWS.step_us)
        end = (k + 1) * WINDOWS.step_us
        if end >= 500_000:
            out.append(evidence(joints_at(end)))
    return np.array(out)


def truth_of(take, view):
    return lambda t: pose_at(take.label_us, take.joints_2d[view], np.array([t]))[0]


def test_moving_joints_are_backed_and_still_ones_or_noise_are_not(walking):
    for view in range(2):
        backed = scored(walking.events[view], truth_of(walking, view)) >= MIN_JOINT_CONFIDENCE
        assert backed[:, LEGS].mean() > 0.9
        assert backed[:, JOINTS.index('head')].mean() < 0.1     # the head hardly moves
    rng = np.random.default_rng(1)
    for rate in (1e3, 1e5):                # 0.06 and 6 events a pixel a second
        noise = uniform_noise(SENSOR, rate, DURATION, rng)
        confidence = scored(noise, lambda t: rng.uniform(0, 128, (len(JOINTS), 2)))
        assert (confidence < MIN_JOINT_CONFIDENCE).all()
        assert confidence.mean() > 0.2    # about 1 / (1 + contrast): as busy as the frame


def test_legs_below_a_waist_up_framing_are_left_out(walking):
    truth = walking.joints_2d[0]
    cut = int(np.ceil(truth[:, [JOINTS.index('hipR'), JOINTS.index('hipL')], 1].max())) + 4
    events = walking.events[0]
    confidence = scored(events[events['y'] < cut], truth_of(walking, 0))
    feet = [JOINTS.index('footR'), JOINTS.index('footL')]
    assert (confidence[:, feet] < MIN_JOINT_CONFIDENCE).all()
    assert (confidence[:, LEGS[:2]] >= MIN_JOINT_CONFIDENCE).mean() > 0.9   # the hips still


def test_joints_off_the_sensor_or_on_a_silent_one_have_none():
    evidence = JointEvidence(SENSOR, 2)
    evidence.add(np.ones((2, 64, 64)), 10_000)
    joints = np.array([[-1.0, 5], [128, 5], [5, 130], [np.nan, 5], [64, 64]])
    confidence = evidence(joints)
    assert (confidence[:4] == 0).all() and 0 < confidence[4] < 1
    evidence.reset()
    assert (evidence(joints) == 0).all()
    with pytest.raises(ValueError, match='64, 64'):
        evidence.add(np.ones((2, 32, 32)), 10_000)


def test_activity_fades_with_the_memory():
    evidence = JointEvidence(SENSOR, 2, memory_us=100_000)
    burst = np.zeros((64, 64))
    burst[30:34, 30:34] = 1
    evidence.add(burst, 10_000)
    joint = np.array([[64.0, 64.0]])
    fresh = evidence(joint)[0]
    evidence.add(np.zeros((64, 64)), 100_000)
    np.testing.assert_allclose(evidence.activity.sum(), 16 * np.exp(-1))
    assert fresh > MIN_JOINT_CONFIDENCE and evidence(joint)[0] < fresh


def test_the_initializers_histogram_gives_the_steps_spikes(walking):
    """state_initializer_node feeds the ANN baseline's evidence from its histogram: its newest
    bins, binarised, are the spikes the SNN's steps of that time take."""
    events = walking.events[1]
    histogram = WINDOWS.ann_input(events, 400_000)
    for period, k in ((100_000, 10), (10_000, 1), (30_000, 3)):
        steps = to_spike_tensor(events, SENSOR, t_start_us=400_000 - k * WINDOWS.step_us,
                                bin_us=WINDOWS.step_us, n_bins=k, downsample=2, binary=True)
        np.testing.assert_array_equal(WINDOWS.latest_spikes(histogram, period),
                                      steps.transpose(1, 0, 2, 3) > 0)
