"""The synthetic DHP19-like data: people, their skeleton, the two views, determinism."""

from dataclasses import replace

import numpy as np
import pytest

from hybrid_perception.datasets.people import (
    MOVEMENTS,
    PeopleRenderer,
    joints_3d,
    people,
)
from hybrid_perception.geometry.cameras import triangulate
from hybrid_perception.geometry.joints import JOINTS

QUIET = {'shot_noise_hz': 0.0, 'hot_pixel_fraction': 0.0}


def test_train_and_test_people_are_disjoint_and_differ():
    train, test = people('train'), people('test')
    assert len(train) == 12 and len(test) == 5
    assert {p.seed for p in train}.isdisjoint(p.seed for p in test)
    assert len({p.height_m for p in train + test}) == 17
    with pytest.raises(ValueError, match='split'):
        people('validation')


@pytest.mark.parametrize('movement', range(len(MOVEMENTS)))
def test_every_movement_keeps_a_plausible_body(movement):
    person = people('train')[movement % 12]
    limbs = [('shoulderR', 'elbowR'), ('elbowR', 'handR'), ('hipL', 'kneeL'), ('kneeL', 'footL')]
    renderer = PeopleRenderer()
    performance = renderer.performance(movement, person, np.random.default_rng(0))
    poses = np.stack([joints_3d(performance.stance(t), person) for t in np.linspace(0, 2, 41)])
    for a, b in limbs:  # segments keep their length whatever the movement does
        length = np.linalg.norm(poses[:, JOINTS.index(a)] - poses[:, JOINTS.index(b)], axis=-1)
        assert np.ptp(length) < 1e-9
    feet = poses[:, [JOINTS.index('footR'), JOINTS.index('footL')], 2].min(axis=1)
    assert feet.min() >= 0.0 and np.median(feet) < 0.2    # on the floor, or just off it
    head = poses[:, JOINTS.index('head'), 2]
    assert (head > feet + 0.9).all()                         # upright
    assert np.ptp(poses, axis=0).max() > 0.1                 # it moves


def test_a_take_has_events_where_the_person_moves_in_both_views():
    renderer = PeopleRenderer()
    person = replace(people('test')[0], **QUIET)
    take = renderer.take(MOVEMENTS.index(next(m for m in MOVEMENTS if m.name == 'waving')),
                         person, 200_000, np.random.default_rng(1))
    assert take.joints_3d.shape == (21, 13, 3) and take.joints_2d.shape == (2, 21, 13, 2)
    np.testing.assert_array_equal(take.label_us, np.arange(0, 200_001, 10_000))
    hand = JOINTS.index('handR')
    for view, events in enumerate(take.events):
        assert events.size > 300 and np.all(np.diff(events['timestamp']) >= 0)
        near = np.linalg.norm(np.stack([events['x'], events['y']], -1)
                              - take.joints_2d[view, 10, hand], axis=-1) < 25
        assert near.mean() > 0.7   # only the waving hand moves
    # the ground truth in each view is the projection of the same 3D joints
    np.testing.assert_allclose(triangulate(list(renderer.cameras), list(take.joints_2d)),
                               take.joints_3d, atol=1e-9)


def test_takes_are_reproducible_and_differ_by_seed():
    renderer = PeopleRenderer()
    person = people('train')[3]
    a, b, c = (renderer.take(2, person, 60_000, np.random.default_rng(s)) for s in (5, 5, 6))
    np.testing.assert_array_equal(a.events[1], b.events[1])
    assert not np.array_equal(a.joints_3d, c.joints_3d)
