"""The live stages: event packets in any chunking give the clips training saw, and chained
stages give the trained model's per-interval probabilities."""

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from hybrid_perception.datasets.gestures import GestureClips, subjects
from hybrid_perception.errors import HybridPerceptionError
from hybrid_perception.events.array import SensorSize, make_events
from hybrid_perception.hybrid.common import EventWindows
from hybrid_perception.hybrid.gesture.bundle import load_bundle
from hybrid_perception.hybrid.gesture.decision import DecisionStage
from hybrid_perception.hybrid.gesture.stream import SpikingStage
from hybrid_perception.networks.accumulator import SpikeAccumulator

SENSOR = SensorSize(128, 128)


@pytest.fixture(scope='module')
def clip_events():
    clips = GestureClips()
    rng = np.random.default_rng(5)
    subject = subjects('test', seed=5)[0]
    events = clips.renderer.events(3, subject, clips.total_bins * clips.bin_us, rng)
    return clips, events


def _windows(events, cuts, n_bins=4):
    windows = EventWindows(SENSOR, 10_000, n_bins, downsample=4)
    out = []
    for piece in np.split(events, cuts):
        stamp = int(piece['timestamp'][0]) if piece.size else None
        if stamp is not None:
            out += windows.push(piece, stamp)
    out += windows.push(events[:0], 240_000)  # the stream moved on: the last window is complete
    return windows, out


@given(st.lists(st.integers(0, 10**6), max_size=30))
def test_windows_are_the_training_clips_bins_whatever_the_packets(clip_events, cuts):
    clips, events = clip_events
    cuts = sorted(c % events.size for c in cuts)
    _, windows = _windows(events, cuts)
    expected = clips.to_clip(events)
    assert [w.start_us for w in windows] == list(range(0, 240_000, 40_000))
    assert np.array_equal(np.concatenate([w.spikes for w in windows]) > 0, expected > 0)


def test_a_long_silence_restarts_instead_of_filling_empty_windows():
    windows = EventWindows(SENSOR, 10_000, 4, max_gap_us=100_000)
    first = make_events([5_000, 45_000], [1, 2], [1, 2], [1, 0])
    assert [w.start_us for w in windows.push(first, 0)] == [0]
    late = make_events([5_000_123], [3], [3], [1])
    assert windows.push(late, 5_000_000) == [] and windows.restarts == 1
    after = make_events([5_040_001], [3], [3], [1])
    assert [w.start_us for w in windows.push(after, 5_040_000)] == [5_000_000]


def test_time_going_back_further_than_the_gap_is_a_new_stream():
    """A driver restarted (a camera reopened, a replay begun again) starts its clock over:
    its windows are cut from its own start, not dropped as late for ever."""
    windows = EventWindows(SENSOR, 10_000, 4, max_gap_us=100_000)
    assert [w.start_us for w in windows.push(make_events([9_000_000], [1], [1], [1]),
                                             9_000_000)] == []
    assert windows.push(make_events([8_950_000], [1], [1], [1]), 8_950_000) == []
    assert windows.restarts == 0 and windows.late_events == 1    # within the gap: late
    again = windows.push(make_events([1_000, 45_000], [1, 2], [1, 2], [1, 0]), 0)
    assert windows.restarts == 1 and [w.start_us for w in again] == [0]
    assert int(again[0].spikes.sum()) == 1


def test_a_wild_timestamp_inside_a_packet_restarts_instead_of_cutting_its_whole_span():
    """One corrupt event an hour ahead: the packet's silence restarts the stream, as between
    packets, rather than cutting 90,000 empty windows (found by test/ros/test_fuzz.py)."""
    windows = EventWindows(SENSOR, 10_000, 4, max_gap_us=100_000)
    hour = 3_600_000_000
    cut = windows.push(make_events([1_000, 45_000, hour], [1, 2, 3], [1, 2, 3], [1, 0, 1]), 0)
    assert [w.start_us for w in cut] == [0] and windows.restarts == 1


def test_events_before_a_cut_window_are_counted_not_binned():
    windows = EventWindows(SENSOR, 10_000, 1)
    windows.push(make_events([15_000], [1], [1], [1]), 15_000)
    windows.push(make_events([3_000, 16_000], [1, 1], [1, 1], [1, 1]), 16_000)
    assert windows.late_events == 1


@pytest.mark.parametrize('name', ['gesture/hybrid', 'gesture/ann', 'gesture/snn',
                                  'gesture/converted'])
def test_chained_stages_are_the_shipped_model(clip_events, name):
    clips, events = clip_events
    bundle = load_bundle(name)
    _, windows = _windows(events, [events.size // 3], n_bins=bundle.spec.interval)
    head, tail = SpikingStage(bundle), DecisionStage(bundle)
    accumulator = SpikeAccumulator((head.neurons,), bundle.spec.window_steps)
    probabilities = [tail(counts) for w in windows for counts in accumulator.push(head(w.spikes))]
    with torch.no_grad():
        expected = bundle.model()(torch.from_numpy(clips.to_clip(events) > 0).float()[None])
    assert np.allclose(probabilities, bundle.probabilities(expected[0].numpy()), atol=1e-4)


def test_bins_cut_one_at_a_time_start_where_the_windows_do(clip_events):
    _, events = clip_events
    late = events[events['timestamp'] >= 13_000]           # a stream starting mid-window
    windows = EventWindows(SENSOR, 10_000, 4, downsample=4)
    bins = EventWindows(SENSOR, 10_000, 1, downsample=4, align_us=40_000)
    whole = windows.push(late, 13_000) + windows.push(late[:0], 240_000)
    one = bins.push(late, 13_000) + bins.push(late[:0], 240_000)
    assert whole[0].start_us == one[0].start_us == 0 and len(one) == 4 * len(whole)
    for i, window in enumerate(whole):
        np.testing.assert_array_equal(
            np.concatenate([b.spikes for b in one[4 * i:4 * i + 4]]), window.spikes)
        assert one[4 * i + 3].end_us == window.end_us


@pytest.mark.parametrize('name', ['gesture/hybrid', 'gesture/ann', 'gesture/snn',
                                  'gesture/converted'])
def test_a_window_run_bin_by_bin_is_the_window_run_whole(clip_events, name):
    """snn_node runs each bin as it completes, on the compiled runtime a step ahead (a window's
    last step is out before its last bin runs, and that bin runs when the next comes): the
    same spikes as SLAYER running the window as usual, and the same operations counted per
    window."""
    _, events = clip_events
    bundle = load_bundle(name)
    _, windows = _windows(events, [], n_bins=bundle.spec.interval)
    whole, by_bin = SpikingStage(bundle, 'torch'), SpikingStage(bundle, 'compiled')
    assert by_bin.streams == (name != 'gesture/converted')        # H3 plays windows whole
    assert by_bin.ahead == (name in ('gesture/hybrid', 'gesture/snn')) and not whole.ahead

    def run(window):
        outs = []
        for i in range(len(window.spikes)):
            last = i + 1 == len(window.spikes)
            before = by_bin.runtime.get_state(0).voltage if by_bin.ahead and last else None
            outs.append(by_bin.add_bin(window.spikes[i:i + 1]))
            if before is not None:                  # the window's end: nothing ran
                np.testing.assert_array_equal(by_bin.runtime.get_state(0).voltage, before)
        assert [complete for _, complete in outs] == [False] * (len(outs) - 1) + [True]
        if by_bin.streams:                          # a step out for every bin, as it comes
            assert [len(steps) for steps, _ in outs] == [1] * len(outs)
        return np.concatenate([steps for steps, _ in outs])

    expected = [whole(w.spikes) for w in windows]
    assert np.concatenate(expected).any()
    for window, spikes in zip(windows, expected, strict=True):
        np.testing.assert_array_equal(run(window), spikes)
    by_bin.catch_up()                               # the last window's last bin
    assert by_bin.ops_per_window() == whole.ops_per_window()
    by_bin.add_bin(windows[0].spikes[:1])
    by_bin.reset()                                  # a restart forgets a window's first bins
    whole.reset()
    np.testing.assert_array_equal(run(windows[0]), whole(windows[0].spikes))


def test_the_converted_model_spikes_the_same_on_lava(clip_events):
    """H3's gesture SNN as the graph runs it, on torch, compiled and on Lava's fixed point:
    the same spikes, and the same operations counted (the energy estimate snn_node reports)."""
    _, events = clip_events
    bundle = load_bundle('gesture/converted')
    _, windows = _windows(events, [], n_bins=bundle.spec.interval)
    out, ops = {}, {}
    for backend in ('torch', 'compiled', 'lava'):
        stage = SpikingStage(bundle, backend)
        try:
            spikes = []
            for window in windows[3:5]:
                spikes.append(stage(window.spikes))
            out[backend] = np.concatenate(spikes)
            ops[backend] = stage.ops_per_window()
        finally:
            stage.close()         # two windows: the second starts from rest on Lava too
    assert out['torch'].shape == (2 * bundle.spec.window_steps, len(bundle.spec.classes))
    assert out['torch'].any()
    assert np.array_equal(out['torch'], out['lava'])
    assert np.array_equal(out['torch'], out['compiled'])
    assert ops['lava'] == ops['compiled'] == ops['torch'] and ops['lava'].synaptic_op > 0


def test_decision_refuses_features_of_the_wrong_size():
    bundle = load_bundle('gesture/hybrid')
    size = int(np.prod(bundle.spec.feature_shape))
    with pytest.raises(HybridPerceptionError, match=f'{size} values'):
        DecisionStage(bundle)(np.zeros(size - 1, np.float32))
