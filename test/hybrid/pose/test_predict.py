"""`hybrid-perception predict --pipeline pose` on a recording: the live pair's poses, offline
(the offline evaluation's, step for step)."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace

import numpy as np

from hybrid_perception.datasets.people import PeopleRenderer, people
from hybrid_perception.events.array import SensorSize, concatenate, make_events
from hybrid_perception.hybrid.pose.bundle import load_pose_bundle
from hybrid_perception.hybrid.pose.evaluation import score_takes
from hybrid_perception.io.recordings.aedat4 import write_aedat4

TAKE_US = 500_000


def test_predict_pose_gives_the_offline_evaluations_poses(tmp_path):
    """The offline evaluation's clock starts at 0; a recording's at its first event: one
    event at t = 0 (in both) lines them up, so the first initialization is at 100 ms."""
    take = PeopleRenderer().take(2, people('test')[0], TAKE_US, np.random.default_rng(5))
    first = concatenate([make_events([0], [64], [64], [1]), take.events[0]])
    take = replace(take, events=(first, *take.events[1:]))
    events = concatenate([first, make_events([TAKE_US + 20_000], [0], [0], [1])])
    path = tmp_path / 'standing.aedat4'
    write_aedat4(path, events, SensorSize(128, 128))
    out = tmp_path / 'poses.jsonl'
    result = subprocess.run([sys.executable, '-m', 'hybrid_perception.cli', 'predict',
                             '--pipeline', 'pose', str(path), '--out', str(out), '--render',
                             str(tmp_path / 'drawn')],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    predicted = {d['t_us']: np.array(d['joints']) for d in lines}
    confidence = np.array([d['confidence'] for d in lines])
    assert confidence.shape == (len(lines), 13) and (confidence >= 0).all()
    assert (confidence <= 1).all() and (confidence >= 0.5).any()   # the person moves
    bundle = load_pose_bundle('pose')
    trackers = [bundle.tracker(kind, 'torch', bundle.spec.windows.steps)
                for kind in ('hybrid', 'alone')]
    scores = score_takes([take], bundle.pose_initializer('torch'), *trackers)
    step = bundle.spec.windows.step_us
    ends = range(100_000 + step, TAKE_US + 1, step)
    assert all(predicted[end].shape == (13, 2) for end in ends)
    np.testing.assert_allclose(np.stack([predicted[end] for end in ends]),
                               scores.predicted['hybrid'][0][0], atol=2e-3)
    assert min(predicted) == 100_000 + step   # no pose before the ANN's first
    drawn = sorted((tmp_path / 'drawn').glob('*.png'))  # one a window with poses: 200 ... 500
    assert [int(p.stem.split('_')[1]) for p in drawn] == list(range(200_000, TAKE_US + 1,
                                                                   100_000))
    assert f'{len(drawn)} pictures in' in result.stdout
