"""The synthetic DVS-Gesture-like data: subjects, the gestures' geometry, determinism."""

from dataclasses import replace

import numpy as np
import pytest

from hybrid_perception.datasets.gesture_classes import CLASSES, GESTURE_CLASSES, NO_GESTURE
from hybrid_perception.datasets.gestures import (
    NONE_TAKES,
    GestureClips,
    GestureRenderer,
    subjects,
)
from hybrid_perception.events.array import SensorSize, concatenate
from hybrid_perception.sim.simulator import DvsSimulator

RIGHT_ARM_ONLY = ('right_hand_wave', 'right_arm_clockwise', 'right_arm_counter_clockwise')
LEFT_ARM_ONLY = ('left_hand_wave', 'left_arm_clockwise', 'left_arm_counter_clockwise')


def test_train_and_test_subjects_are_disjoint_and_differ():
    train, test = subjects('train'), subjects('test')
    assert len(train) == 23 and len(test) == 6
    assert {s.seed for s in train}.isdisjoint(s.seed for s in test)
    assert len({s.scale for s in train + test}) == 29
    assert subjects('train', seed=1) != train
    with pytest.raises(ValueError, match='split'):
        subjects('validation')


@pytest.mark.parametrize('gesture', RIGHT_ARM_ONLY + LEFT_ARM_ONLY)
def test_one_arm_gestures_move_on_the_side_of_that_arm(gesture):
    """The subject faces the camera: their right arm is on the image's left."""
    renderer = GestureRenderer(sensor=SensorSize(64, 64))
    subject = replace(subjects('train')[0], shot_noise_hz=0.0, hot_pixel_fraction=0.0)
    events = renderer.events(GESTURE_CLASSES.index(gesture), subject, 200_000,
                             np.random.default_rng(0))
    neck_x = (64 + subject.offset[0]) / 2
    left_of_neck = np.mean(events['x'] < neck_x)
    assert (left_of_neck > 0.9) if gesture in RIGHT_ARM_ONLY else (left_of_neck < 0.1)


@pytest.mark.parametrize('gesture, clockwise', [
    ('right_arm_clockwise', True), ('right_arm_counter_clockwise', False),
    ('left_arm_clockwise', True), ('left_arm_counter_clockwise', False)])
def test_arm_circles_turn_the_named_way_on_the_image(gesture, clockwise):
    renderer = GestureRenderer()
    label = GESTURE_CLASSES.index(gesture)
    motion = renderer.motion(label, subjects('train')[0], np.random.default_rng(3))
    side = 0 if gesture.startswith('right') else 1
    hands = np.array([motion.pose(t).hands[side] for t in np.linspace(0, 0.2, 21)])
    centred = hands - hands.mean(axis=0)
    turn = np.cross(centred[:-1], centred[1:]).sum()
    # Image y points down, so a positive cross product is clockwise on the screen.
    assert (turn > 0) == clockwise


def test_clips_are_reproducible_binary_and_balanced():
    clips = GestureClips(n_bins=4, warmup_bins=2)
    a, labels, ids = clips.generate('test', takes=1, seed=5)
    b, _, _ = clips.generate('test', takes=1, seed=5)
    assert a.shape == (72, 6, 2, 32, 32) and a.dtype == np.uint8
    assert np.array_equal(a, b) and a.max() == 1
    assert np.bincount(labels).tolist() == [6] * 12 and CLASSES[-1] == NO_GESTURE
    assert set(ids.tolist()) == set(range(23, 29))
    # every clip has motion events beyond the background noise
    assert (a.reshape(len(a), -1).sum(axis=1) > 100).all()


def test_none_takes_go_through_every_scene_and_only_the_asked_classes_render():
    none = CLASSES.index(NO_GESTURE)
    clips = GestureClips(n_bins=2, warmup_bins=0)
    _, labels, ids = clips.generate('train', takes=len(NONE_TAKES), classes=(none,))
    assert set(labels.tolist()) == {none} and len(labels) == 23 * len(NONE_TAKES)
    with pytest.raises(ValueError, match='kind'):
        GestureRenderer().scene('dancing', subjects('train')[0], np.random.default_rng(0))


def test_people_scenes_are_the_pose_renderers_people_split_as_the_subjects():
    """A ``people`` none take is a person of the pose dataset moving in view: a train subject
    gets a train person, a test subject a test person (whose takes no model trains on)."""
    from hybrid_perception.datasets.people import (
        MOVEMENTS,
        PeopleRenderer,
        default_cameras,
        people,
    )
    renderer = GestureRenderer()
    none = CLASSES.index(NO_GESTURE)
    for subject, split in ((subjects('train')[3], 'train'), (subjects('test')[1], 'test')):
        events = renderer.events(none, subject, 240_000, np.random.default_rng(1), 'people')
        assert len(events) > 1000 and np.ptp(events['y']) > 40     # a body moving, tall
        rng = np.random.default_rng(1)
        camera = default_cameras()[int(rng.integers(2))]
        movement = int(rng.integers(len(MOVEMENTS)))
        person = people(split)[subject.seed % len(people(split))]
        take = PeopleRenderer(cameras=(camera,)).take(movement, person, 240_000, rng)
        np.testing.assert_array_equal(events, take.events[0])


@pytest.mark.parametrize('seed', range(3))
def test_a_walking_person_s_events_move_the_way_they_walk(seed):
    """Walking across is none; its events travel with the person, who is in view."""
    renderer = GestureRenderer()
    subject = replace(subjects('test')[seed], shot_noise_hz=0.0, hot_pixel_fraction=0.0)
    motion = renderer.scene('walk', subject, np.random.default_rng(seed))
    simulator = DvsSimulator(renderer.sensor, renderer.params)
    events = concatenate([simulator.step(frame, t) if t else simulator.reset(frame, t)
                          for t, frame in renderer.frames(motion, subject, 240_000)][1:])
    assert len(events) > 1000
    early, late = (events['x'][mask].mean() for mask in (events['timestamp'] < 80_000,
                                                         events['timestamp'] > 160_000))
    walked = motion.drift[0] * 0.16 * subject.scale
    assert np.sign(late - early) == np.sign(walked) and abs(late - early) > 0.3 * abs(walked)


def test_noise_scenes_are_noisier_than_the_subject_and_spread_over_the_sensor():
    renderer = GestureRenderer()
    subject = replace(subjects('test')[0], shot_noise_hz=0.0, hot_pixel_fraction=0.0)
    counts = []
    for seed in range(6):
        events = renderer.events(CLASSES.index(NO_GESTURE), subject, 100_000,
                                 np.random.default_rng(seed), 'noise')
        counts.append(len(events))
        assert np.ptp(events['x']) > 100 and np.ptp(events['y']) > 100   # a still room or none
    assert min(counts) > 0 and max(counts) > 10 * min(counts)
