"""H1's training data: the real DVS128 Gesture files, read with the dataset's own split."""

from __future__ import annotations

import numpy as np
import pytest


def test_the_real_dvs128_gesture_files_feed_training_with_their_own_split(tmp_path, rng):
    """A DvsGesture folder in the dataset's layout (AEDAT 3.1 + label CSVs + split lists):
    train and test by the lists, the last 3 training subjects validate, the clips cached."""
    from hybrid_perception.datasets.gestures import GestureClips
    from hybrid_perception.errors import HybridPerceptionError
    from hybrid_perception.events.array import make_events
    from hybrid_perception.hybrid.gesture.training import GestureTraining, gesture_data
    from hybrid_perception.io.recordings.aedat3 import write_aedat3
    clips = GestureClips(n_bins=4, warmup_bins=1, bin_us=10_000)
    clip_us = clips.total_bins * clips.bin_us
    listed = {'train': [], 'test': []}
    for user in (1, 2, 3, 4, 5, 24):
        n = 4000
        events = make_events(np.sort(rng.integers(0, 3 * clip_us, n)), rng.integers(0, 128, n),
                             rng.integers(0, 128, n), rng.integers(0, 2, n))
        name = f'user{user:02d}_led'
        write_aedat3(tmp_path / f'{name}.aedat', events)
        (tmp_path / f'{name}_labels.csv').write_text(
            f'class,startTime_usec,endTime_usec\n{user % 11 + 1},0,{2 * clip_us}\n')
        listed['test' if user >= 24 else 'train'].append(f'{name}.aedat')
    for split, names in listed.items():
        (tmp_path / f'trials_to_{split}.txt').write_text('\n'.join(names) + '\n')
    settings = GestureTraining(clips=clips, takes=2, test_takes=1)
    cache = tmp_path / 'cache' / 'clips.npz'
    data = gesture_data(settings, cache, dvs_gesture=tmp_path, progress=False)
    # two whole clips a recording; users 3, 4, 5 validate; the dataset has no none class, so
    # synthetic none clips come with it: 2 a training subject (20 fit, 3 validate), 1 a test one
    none = 11
    assert data['train'][1].tolist() == [1, 1, 2, 2] + [none] * 40
    assert data['val'][1].tolist() == [3, 3, 4, 4, 5, 5] + [none] * 6
    assert data['test'][1].tolist() == [2, 2] + [none] * 6
    assert data['test'][0].shape[1:] == (clips.total_bins, *clips.input_shape)
    again = gesture_data(settings, cache, dvs_gesture=tmp_path, progress=False)
    assert all(np.array_equal(again[k][0], data[k][0]) for k in data)
    (tmp_path / 'trials_to_train.txt').write_text('user01_led.aedat\nuser02_led.aedat\n')
    with pytest.raises(HybridPerceptionError, match='holds 2 subjects'):
        gesture_data(settings, None, dvs_gesture=tmp_path, progress=False)


def test_an_unknown_data_source_is_refused_in_one_line(tmp_path, capsys):
    from hybrid_perception.cli.main import main
    assert main(['train', 'gesture', '--data', 'imagenet:/data', '--out', str(tmp_path)]) == 2
    assert 'synthetic or dvs-gesture:PATH' in capsys.readouterr().err
