"""The trained gesture models that ship with the package load, run, and have learnt."""

import numpy as np
import pytest
import torch

from hybrid_perception.datasets.gestures import GestureClips
from hybrid_perception.hybrid.gesture import IntervalObjective
from hybrid_perception.hybrid.gesture.bundle import load_bundle
from hybrid_perception.networks.training import evaluate


@pytest.fixture(scope='module')
def unseen_clips():
    """Clips of the test subjects with a seed the shipped models were not scored on."""
    clips, labels, _ = GestureClips().generate('test', takes=1, seed=99)
    return clips, labels


@pytest.mark.parametrize('kind', ['hybrid', 'ann', 'snn'])
def test_shipped_model_recognises_unseen_clips_well_above_chance(kind, unseen_clips):
    bundle = load_bundle(f'gesture/{kind}')
    assert bundle.spec.kind == kind and bundle.spec.classes[0] == 'hand_clapping'
    model = bundle.model()
    objective = IntervalObjective(bundle.spec.interval, bundle.binning.warmup_steps)
    accuracy = evaluate(model, objective, unseen_clips)
    assert accuracy > 3 / len(bundle.spec.classes), accuracy
    with torch.no_grad():
        logits = model(torch.from_numpy(unseen_clips[0][:2]).float())
    assert np.isfinite(logits.numpy()).all()
