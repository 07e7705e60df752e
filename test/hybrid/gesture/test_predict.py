"""`hybrid-perception predict` on a recording from a larger camera, in a third party's
format: the live graph's decisions, offline."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np

from hybrid_perception.events.array import SensorSize, concatenate, make_events


def write_vga_raw(path, events):
    """The take as a 640x480 Prophesee camera would see it (3x larger, at (128, 48)), written
    as EVT 3.0 by faery, with one last event that moves the stream on."""
    import faery
    from faery.extension import evt
    tail = make_events([240_000], [0], [0], [1])
    big = concatenate([events, tail])
    out = np.zeros(big.size, faery.EVENTS_DTYPE)
    out['t'], out['on'] = big['timestamp'], big['polarity'] > 0
    out['x'], out['y'] = big['x'] * 3 + 129, big['y'] * 3 + 49
    out['x'][-1] = out['y'][-1] = 0
    with evt.Encoder(path, 'evt3', False, (640, 480), True) as encoder:
        encoder.write({'events': out})


def test_predict_gives_the_models_probabilities_window_by_window(tmp_path, gesture_events,
                                                                  offline_probabilities):
    from hybrid_perception.hybrid.gesture.bundle import load_bundle
    raw = tmp_path / 'vga.raw'
    write_vga_raw(raw, gesture_events)
    out = tmp_path / 'decisions.jsonl'
    result = subprocess.run(
        [sys.executable, '-m', 'hybrid_perception.cli', 'predict', str(raw), '--out', str(out),
         '--roi', '128', '48', '384', '384', '--downsample', '3', '--render',
         str(tmp_path / 'drawn')],
        capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert 'Prophesee RAW (evt3), 640x480' in result.stdout
    decisions = [json.loads(line) for line in out.read_text().splitlines()]
    expected = offline_probabilities(gesture_events)
    assert len(decisions) == len(expected) == 6
    classes = load_bundle('gesture/hybrid').spec.classes
    got = np.array([[d['probabilities'][c] for c in classes] for d in decisions])
    assert np.allclose(got, expected, atol=1e-4)
    assert [d['label'] for d in decisions] == [classes[i] for i in expected.argmax(1)]
    ends = [d['t_us'] for d in decisions]
    assert ends == sorted(ends) and ends[1] - ends[0] == ends[2] - ends[1] > 0
    assert f'6 decisions written to {out}' in result.stdout
    import cv2
    drawn = sorted((tmp_path / 'drawn').glob('*.png'))
    assert len(drawn) == 6 and cv2.imread(str(drawn[0])).shape == (480, 640, 3)


def test_windows_with_too_little_activity_are_labelled_none(gesture_events):
    from hybrid_perception.hybrid.gesture.bundle import load_bundle
    from hybrid_perception.hybrid.gesture.stream import GesturePipeline
    pipeline = GesturePipeline(load_bundle('gesture/hybrid'), SensorSize(128, 128),
                               min_activity=10**9)
    decisions = pipeline.push(concatenate([gesture_events,
                                           make_events([240_000], [0], [0], [1])]))
    pipeline.close()
    assert len(decisions) == 6 and {d.label for d in decisions} == {'none'}
    assert all(abs(sum(d.probabilities.values()) - 1) < 1e-4 and d.activity > 0
               for d in decisions)


def test_sensor_noise_is_no_gesture_by_default(tmp_path):
    """5 s of uniform sensor noise at 1 k events/s, as a DVS128 records it (jAER AEDAT 2.0):
    the model alone calls every window hand_clapping (#22); predict's activity gate calls
    them none."""
    from hybrid_perception.io.recordings.jaer import write_aedat2
    rng = np.random.default_rng(0)
    n = 5000
    noise = make_events(np.sort(rng.integers(0, 5_000_000, n)), rng.integers(0, 128, n),
                        rng.integers(0, 128, n), rng.integers(0, 2, n))
    path = write_aedat2(tmp_path / 'noise.aedat', noise)
    out = tmp_path / 'noise.jsonl'
    result = subprocess.run([sys.executable, '-m', 'hybrid_perception.cli', 'predict',
                             str(path), '--out', str(out)], capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    decisions = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(decisions) > 100 and {d['label'] for d in decisions} == {'none'}
