"""H2's samples cut from takes: the ANN's history, the SNN's steps, the truth at every step."""

from dataclasses import replace

import numpy as np
import pytest

from hybrid_perception.datasets.people import PeopleRenderer, people
from hybrid_perception.hybrid.pose.windows import PoseWindows, pose_at


@pytest.fixture(scope='module')
def take():
    person = replace(people('train')[1], shot_noise_hz=0.0, hot_pixel_fraction=0.0)
    return PeopleRenderer().take(2, person, 400_000, np.random.default_rng(3))


@pytest.mark.parametrize('rate_hz', [100, 200])
def test_windows_follow_the_rate_and_hold_every_event(take, rate_hz):
    windows = PoseWindows(rate_hz=rate_hz)
    samples = windows.from_take(take, view=1)
    ann, snn, targets, initial = samples.ann, samples.snn, samples.targets, samples.start_pose
    steps = 10 if rate_hz == 100 else 20
    assert ann.shape == (3, 20, 64, 64) and snn.shape == (3, 1 + steps, 2, 64, 64)
    assert list(samples.start_us) == [100_000, 200_000, 300_000]
    assert targets.shape == (3, steps, 13, 2) and initial.shape == (3, 13, 2)
    events, t = take.events[1], take.events[1]['timestamp']
    # the ANN sees every event of the window before; ON counts are the second half
    second = (t >= 100_000) & (t < 200_000)
    assert ann[1].sum() == second.sum()
    assert ann[1, 10:].sum() == (second & (events['polarity'] > 0)).sum()
    # the SNN steps through the next window: a step spikes where that step's events are, and
    # the step before the window leads (it is delivered in the window's first step)
    step = (t >= 200_000) & (t < 200_000 + windows.step_us)
    x, y = events['x'][step] // 2, events['y'][step] // 2
    assert snn[1, 1].max() == 1 and snn[1, 1].sum(axis=0)[y, x].all()
    np.testing.assert_array_equal(snn[1, 0], snn[0, -1])
    # targets are the labelled truth at step ends (labels every 10 ms)
    np.testing.assert_allclose(targets[1, steps - 1], take.joints_2d[1, 30])
    np.testing.assert_allclose(initial[1], take.joints_2d[1, 20])
    np.testing.assert_allclose(targets[0, -1], initial[1])   # one window ends where the next starts


def test_poses_between_labels_are_interpolated_and_bad_rates_refused():
    label_us = np.array([0, 10_000])
    joints = np.array([[[0.0, 0.0]], [[10.0, 20.0]]])
    np.testing.assert_allclose(pose_at(label_us, joints, np.array([5_000]))[0, 0], [5.0, 10.0])
    with pytest.raises(ValueError, match='whole number'):
        PoseWindows(rate_hz=300)


@pytest.mark.parametrize('cells', [(3, -2), (-5, 4), (0, 0)])
def test_a_moved_window_is_the_same_person_standing_elsewhere(take, cells):
    """Training moves a window's input by whole cells and its poses by as many pixels: the
    events' centroid keeps its place relative to the joints."""
    windows = PoseWindows(rate_hz=100, downsample=2)
    samples = windows.from_take(take, 0)
    moved = samples.moved(np.array([cells] * len(samples)), 2)

    def centroid(planes):   # (N, ..., H, W) -> (N, 2) cells, x then y
        weights = planes.reshape(len(planes), -1, *planes.shape[-2:]).sum(axis=1)
        ys, xs = np.mgrid[:planes.shape[-2], :planes.shape[-1]]
        total = weights.sum(axis=(1, 2))
        return np.stack([(weights * xs).sum(axis=(1, 2)) / total,
                         (weights * ys).sum(axis=(1, 2)) / total], axis=1)

    for part in ('ann', 'snn'):
        before, after = getattr(samples, part), getattr(moved, part)
        assert after.shape == before.shape and after.dtype == before.dtype
        assert after.sum() <= before.sum()          # what leaves the view is gone
        assert np.allclose(centroid(after), centroid(before) + cells, atol=0.5)
    assert np.allclose(moved.targets - samples.targets, np.array(cells) * 2)
    assert np.allclose(moved.start_pose - samples.start_pose, np.array(cells) * 2)
    assert np.array_equal(moved.start_us, samples.start_us)
    gone = samples.moved(np.array([(64, 0)] * len(samples)), 2)
    assert not gone.ann.any() and not gone.snn.any()


def test_a_window_cut_below_a_row_keeps_what_is_above_and_its_poses(take):
    """A waist-up view for training (#22): the input blank from the row down, the rows above
    and the truth (the legs where they are) untouched; NaN leaves a window whole."""
    samples = PoseWindows(rate_hz=100, downsample=2).from_take(take, 0)
    rows = np.full(len(samples), np.nan)
    rows[0] = 81.0                                # sensor row 81: grid rows 41 and down go
    cut = samples.cut_below(rows, 2)
    for part in ('ann', 'snn'):
        before, after = getattr(samples, part), getattr(cut, part)
        assert before[0, ..., 41:, :].any() and not after[0, ..., 41:, :].any()
        np.testing.assert_array_equal(after[0, ..., :41, :], before[0, ..., :41, :])
        np.testing.assert_array_equal(after[1:], before[1:])
    np.testing.assert_array_equal(cut.targets, samples.targets)
    np.testing.assert_array_equal(cut.start_pose, samples.start_pose)


def test_training_cuts_views_between_hips_and_feet_at_the_frames_lower_edge(take):
    from hybrid_perception.hybrid.pose.spec import load_pose_spec
    from hybrid_perception.hybrid.pose.training import PoseTraining, _Views

    spec = load_pose_spec('pose')
    samples = spec.windows.from_take(take, 0)
    ds, rows = spec.windows.downsample, spec.windows.input_shape[1]
    views = _Views(spec, PoseTraining(partial_views=1.0, max_shift_px=0), stage=1)
    drawn = views.draw(len(samples))
    cut = views.batch(samples, np.arange(len(samples)), drawn)
    assert np.isfinite(drawn[1]).all()
    for i in range(len(samples)):
        y = samples.start_pose[i, :, 1]
        hips, feet = y[[5, 6]].max(), y[[11, 12]].max()        # hipR/L, footR/L (DHP19 order)
        first = int(np.ceil((hips + drawn[1][i] * (feet - hips)) / ds))
        assert int(hips // ds) <= first <= int(np.ceil(feet / ds))
        down = rows - first                     # the view's last row becomes the frame's last
        for planes in ('snn', 'ann'):
            before, after = getattr(samples, planes)[i], getattr(cut, planes)[i]
            np.testing.assert_array_equal(after[..., down:, :], before[..., :first, :])
            assert not after[..., :down, :].any()
        np.testing.assert_array_equal(cut.targets[i, ..., 1],
                                      samples.targets[i, ..., 1] + down * ds)
        np.testing.assert_array_equal(cut.start_pose[i, :, 0], samples.start_pose[i, :, 0])
    legs = [samples.snn[i, ..., int(samples.start_pose[i, [5, 6], 1].max() // ds) + 1:, :].sum()
            for i in range(len(samples))]
    gone = [samples.snn[i].sum() - cut.snn[i].sum() for i in range(len(samples))]
    assert sum(legs) > 0 and sum(gone) > 0          # the legs' events were there, and went
    none = _Views(spec, PoseTraining(partial_views=0.0), stage=1).draw(len(samples))
    assert none == (None, None)
