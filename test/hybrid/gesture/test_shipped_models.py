"""The trained gesture models that ship with the package load, run, and still score what they
were published with (README, summary.json): a regression guard, on their own test set."""

import numpy as np
import pytest
import torch

from hybrid_perception.hybrid.gesture import IntervalObjective
from hybrid_perception.hybrid.gesture.bundle import load_bundle
from hybrid_perception.hybrid.gesture.training import GestureTraining
from hybrid_perception.networks.training import evaluate

#: the published figure is this exact evaluation (the same clips, seed and model), so the
#: margin covers float summation order only, not sampling: any real change shows
MARGIN = 0.01


@pytest.fixture(scope='module')
def settings():
    return GestureTraining()


@pytest.fixture(scope='module')
def test_clips(settings):
    """The test subjects' clips the shipped models were scored on (training's own split)."""
    clips, labels, _ = settings.clips.generate('test', settings.test_takes, settings.seed)
    return clips, labels


@pytest.mark.parametrize('name, kind', [('hybrid', 'hybrid'), ('ann', 'ann'), ('snn', 'snn'),
                                        ('converted', 'snn')])
def test_shipped_model_scores_its_published_accuracy(name, kind, settings, test_clips):
    bundle = load_bundle(f'gesture/{name}')
    assert bundle.spec.kind == kind and bundle.spec.classes[0] == 'hand_clapping'
    known = test_clips[1] < len(bundle.spec.classes)  # gesture/converted has no none class
    test_clips = (test_clips[0][known], test_clips[1][known])
    model = bundle.model()
    if bundle.spec.from_rest:  # its windows are independent: the unscored warm-up ones can go
        warm_up = IntervalObjective(bundle.spec.interval, bundle.binning.warmup_steps)
        test_clips = (test_clips[0][:, warm_up.first_scored * bundle.spec.interval:],
                      test_clips[1])
        objective = IntervalObjective(bundle.spec.interval)
    else:   # training's, which plays the end of another clip of the batch before each
        objective = settings.objective(bundle.spec)
    accuracy = evaluate(model, objective, test_clips)
    published = bundle.metrics['test_accuracy']
    assert accuracy >= published - MARGIN, (accuracy, published)
    with torch.no_grad():
        logits = model(torch.from_numpy(test_clips[0][:2]).float())
    assert np.isfinite(logits.numpy()).all()
