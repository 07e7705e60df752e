"""What the tests of H1's live graph share: one take of a test subject's gesture, and the
probabilities the trained model gives it offline (what the graph must publish)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from hybrid_perception.datasets.gestures import GestureClips, subjects
from hybrid_perception.hybrid.gesture.bundle import load_bundle

CLIPS = GestureClips()


@pytest.fixture(scope='session')
def gesture_clips() -> GestureClips:
    return CLIPS


@pytest.fixture(scope='session')
def gesture_events() -> np.ndarray:
    subject = subjects('test', seed=2)[1]
    return CLIPS.renderer.events(5, subject, CLIPS.total_bins * CLIPS.bin_us,
                                 np.random.default_rng(2))


@pytest.fixture(scope='session')
def offline_probabilities():
    """``offline_probabilities(events, model)``: the model's softmax on the take's clip."""
    def probabilities(events: np.ndarray, model: str = 'gesture/hybrid') -> np.ndarray:
        with torch.no_grad():
            clip = torch.from_numpy(CLIPS.to_clip(events) > 0).float()[None]
            return load_bundle(model).model()(clip)[0].softmax(-1).numpy()
    return probabilities
