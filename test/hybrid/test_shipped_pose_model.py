"""The trained pose model that ships with the package loads, runs as deployed, and has learnt."""

import numpy as np

from hybrid_perception.events.people import PeopleRenderer, people
from hybrid_perception.hybrid.pose_bundle import load_pose_bundle
from hybrid_perception.hybrid.pose_evaluation import MODELS, score_takes
from hybrid_perception.hybrid.pose_tracker import PoseInitialiser


def test_shipped_pose_model_tracks_an_unseen_person_far_better_than_a_guess():
    bundle = load_pose_bundle('pose')
    spec = bundle.spec
    take = PeopleRenderer().take(2, people('test', seed=99)[3], 600_000,
                                 np.random.default_rng(99))
    trackers = [bundle.tracker(kind, 'torch', spec.windows.steps) for kind in ('hybrid', 'alone')]
    scores = score_takes([take], PoseInitialiser(bundle.initialiser()), *trackers)
    truth = scores.truth[0]
    centre = np.array([spec.windows.sensor.width, spec.windows.sensor.height]) / 2
    guess = np.linalg.norm(truth - centre, axis=-1).mean()   # every joint at the centre
    for model in MODELS:
        assert scores.mpjpe_2d(model) < 0.5 * guess, (model, scores.mpjpe_2d(model), guess)
    assert {'ann_val_error_px', 'hybrid_val_error_px', 'snn_val_error_px'} <= set(bundle.metrics)
