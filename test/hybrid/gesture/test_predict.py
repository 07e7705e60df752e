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
    bundle = load_bundle('gesture/hybrid')
    classes = bundle.spec.classes
    got = np.array([[d['probabilities'][c] for c in classes] for d in decisions])
    assert np.allclose(got, expected, atol=1e-4)
    sure = expected.max(axis=1) >= bundle.metrics['min_confidence']   # the calibrated default
    assert [d['label'] for d in decisions] == [classes[i] if ok else 'none' for i, ok in
                                               zip(expected.argmax(1), sure, strict=True)]
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


def test_decisions_below_min_confidence_are_none_and_keep_their_probabilities(gesture_events):
    from hybrid_perception.hybrid.gesture.bundle import load_bundle
    from hybrid_perception.hybrid.gesture.stream import GesturePipeline
    bundle = load_bundle('gesture/hybrid')
    runs = {}
    for threshold in (0.0, 1.01):
        pipeline = GesturePipeline(bundle, SensorSize(128, 128), min_confidence=threshold)
        runs[threshold] = pipeline.push(gesture_events)
        pipeline.close()
    assert len(runs[0.0]) == len(runs[1.01]) > 0
    for sure, unsure in zip(runs[0.0], runs[1.01], strict=True):
        assert sure.label == max(sure.probabilities, key=sure.probabilities.get)
        assert unsure.label == 'none' and unsure.probabilities == sure.probabilities


def test_sensor_noise_is_no_gesture_for_the_model_alone(tmp_path):
    """5 s of uniform sensor noise at 1 k events/s, as a DVS128 records it (jAER AEDAT 2.0),
    with no activity gate: the first shipped models called every window hand_clapping (0.99)
    (#22); the shipped hybrid has a class for no gesture and says it."""
    from hybrid_perception.io.recordings.jaer import write_aedat2
    from hybrid_perception.sim.noise import uniform_noise
    noise = uniform_noise(SensorSize(128, 128), 1000, 5_000_000, np.random.default_rng(0))
    path = write_aedat2(tmp_path / 'noise.aedat', noise)
    out = tmp_path / 'noise.jsonl'
    result = subprocess.run([sys.executable, '-m', 'hybrid_perception.cli', 'predict',
                             str(path), '--out', str(out), '--min-activity', '0',
                             '--min-confidence', '0'], capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    decisions = [json.loads(line) for line in out.read_text().splitlines()]
    labels = [d['label'] for d in decisions]
    assert len(decisions) > 100 and labels.count('none') >= 0.95 * len(labels)
    assert all(max(d['probabilities'], key=d['probabilities'].get) == d['label']
               for d in decisions)
