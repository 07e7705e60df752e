"""H2's networks: the spec, training's SNN path against the deployed runtime, the tracker's
readout, the bundle, and the three training stages on a few real rendered takes."""

from dataclasses import replace

import numpy as np
import pytest
import torch

from hybrid_perception.datasets.people import PeopleRenderer, people
from hybrid_perception.errors import HybridPerceptionError
from hybrid_perception.hybrid.pose.bundle import load_pose_bundle, save_pose_bundle
from hybrid_perception.hybrid.pose.evaluation import pose_power, score_takes
from hybrid_perception.hybrid.pose.model import PoseSnn, StateInitializer
from hybrid_perception.hybrid.pose.spec import BUILTIN_POSE_SPECS, PoseSpec, load_pose_spec
from hybrid_perception.hybrid.pose.tracker import Initialization, PoseInitializer, PoseTracker
from hybrid_perception.hybrid.pose.training import (
    PoseTraining,
    delivered,
    following,
    pose_samples,
    split_validation,
    train_ann,
    train_hybrid,
    train_snn_alone,
)
from hybrid_perception.networks.snn.runtime import NeuronState
from hybrid_perception.networks.snn.torch_runtime import TorchRuntime
from hybrid_perception.networks.spec import ConvLayer, SpecError
from hybrid_perception.networks.weights import WeightsError


@pytest.fixture(scope='module')
def spec() -> PoseSpec:
    return load_pose_spec('pose')


@pytest.fixture(scope='module')
def takes():
    """Three people (two train, one to validate), two movements, 0.5 s each."""
    renderer = PeopleRenderer()
    chosen = [people('train')[i] for i in (0, 1, 11)]
    return [renderer.take(m, p, 500_000, np.random.default_rng([p.seed, m]))
            for p in chosen for m in (1, 2)]


def _random_states(spec: PoseSpec, generator: torch.Generator) -> list:
    return [(torch.rand(1, *shape, generator=generator) * 2 - 0.5,
             torch.rand(1, *shape, generator=generator) * 1.5)
            for shape in spec.snn.layer_shapes()]


def test_the_builtin_spec_round_trips_and_bad_specs_say_where(spec):
    assert 'pose' in BUILTIN_POSE_SPECS
    assert PoseSpec.from_dict(spec.to_dict()) == spec
    assert spec.at_rate(200).windows.steps == 20
    # every conv layer's state comes from an encoder layer of its size, the dense one's from
    # the pose head's hidden layer
    shapes = spec.encoder_shapes()
    for layer_shape, source in zip(spec.snn.layer_shapes()[:-1], spec.state_sources()[:-1],
                                   strict=True):
        assert shapes[source][1:] == layer_shape[1:]
    assert spec.state_sources()[-1] == len(spec.encoder)
    with pytest.raises(SpecError, match='no encoder layer has that size'):
        replace(spec, encoder=(ConvLayer(16, stride=4),))
    with pytest.raises(SpecError, match='SNN input'):
        replace(spec, windows=replace(spec.windows, downsample=4))


def test_training_runs_the_snn_exactly_as_the_runtime_does(spec):
    """Same spikes and same final states from the ANN's states: what is trained is what runs."""
    generator = torch.Generator().manual_seed(0)
    torch.manual_seed(0)
    snn = PoseSnn(spec)
    states = _random_states(spec, generator)
    window = (torch.rand(spec.windows.steps, *spec.snn.input_shape,
                         generator=generator) < 0.1).float()
    runtime = TorchRuntime(snn.network, spec.windows.steps)
    for layer, (current, voltage) in enumerate(states):
        runtime.set_state(layer, NeuronState(current[0].numpy(), voltage[0].numpy()))
    deployed = runtime.step(window.numpy())
    # the runtime starts from rest, so the step before the window is silent
    stored = torch.cat([torch.zeros(1, *window.shape[1:]), window])[None].numpy()
    with torch.no_grad():
        trained, final = snn(torch.from_numpy(np.ascontiguousarray(delivered(stored))),
                             [(c.double().mul(4096).round().div(4096).float(),
                               v.double().mul(4096).round().div(4096).float())
                              for c, v in states])
    assert deployed.sum() > 0
    np.testing.assert_array_equal(deployed, trained[0].T.numpy())
    for layer, (current, voltage) in enumerate(final):
        state = runtime.get_state(layer)
        np.testing.assert_allclose(state.current, current[0].numpy(), atol=1e-6)
        np.testing.assert_allclose(state.voltage, voltage[0].numpy(), atol=1e-6)


def test_the_pose_loss_reaches_the_state_heads_through_the_snn(spec):
    torch.manual_seed(0)
    initializer, snn = StateInitializer(spec), PoseSnn(spec)
    histogram = torch.rand(2, *spec.ann_input_shape) * 4
    spikes = (torch.rand(2, *spec.snn.input_shape, spec.windows.steps) < 0.2).float()
    pose, states = initializer.initialize(histogram)
    out, _ = snn(spikes, states)
    snn.read_out(out, pose.detach()).sum().backward()
    for head in initializer.state_heads:
        assert head.weight.grad is not None and head.weight.grad.abs().sum() > 0


def test_the_tracker_reads_out_as_training_does(spec):
    torch.manual_seed(1)
    snn = PoseSnn(spec)
    with torch.no_grad():
        snn.readout.weight.normal_(std=0.05)
    tracker = PoseTracker.of(snn, TorchRuntime(snn.network, spec.windows.steps))
    start = np.random.default_rng(0).uniform(20, 100, (spec.joints, 2))
    states = _random_states(spec, torch.Generator().manual_seed(2))
    tracker.initialize(Initialization(start, [NeuronState(c[0].numpy(), v[0].numpy())
                                              for c, v in states]))
    window = (np.random.default_rng(3).random((spec.windows.steps, *spec.snn.input_shape))
              < 0.2).astype(np.float32)
    poses = tracker.step(window)
    spikes = TorchRuntime(snn.network, spec.windows.steps)
    for layer, (current, voltage) in enumerate(states):
        spikes.set_state(layer, NeuronState(current[0].numpy(), voltage[0].numpy()))
    output = torch.from_numpy(spikes.step(window).T[None].copy())
    with torch.no_grad():
        sensor = np.array([spec.windows.sensor.width, spec.windows.sensor.height])
        expected = spec.to_pixels(snn.read_out(output, torch.from_numpy(
            start / sensor).float()[None]))[0].numpy()
    np.testing.assert_allclose(poses, expected, rtol=1e-4, atol=1e-3)
    assert not np.allclose(poses[0], poses[-1])


def test_the_bundle_keeps_what_was_trained_and_refuses_a_broken_folder(spec, tmp_path):
    torch.manual_seed(2)
    initializer, snn, alone = StateInitializer(spec), PoseSnn(spec), PoseSnn(spec, alone=True)
    bundle = save_pose_bundle(tmp_path / 'pose', spec, initializer,
                              {'hybrid': snn, 'alone': alone}, {'note': 'test'})
    loaded = load_pose_bundle(bundle.path)
    assert loaded.spec == spec and loaded.metrics == {'note': 'test'}
    histogram = torch.rand(1, *spec.ann_input_shape) * 3
    with torch.no_grad():
        np.testing.assert_allclose(loaded.initializer()(histogram), initializer(histogram),
                                   atol=2e-3)
    window = (np.random.default_rng(0).random((spec.windows.steps, *spec.snn.input_shape))
              < 0.3).astype(np.float32)
    for kind, model in (('hybrid', snn), ('alone', alone)):
        assert loaded.snn(kind).decay == model.decay          # the hybrid integrates, alone leaks
        np.testing.assert_array_equal(
            TorchRuntime(loaded.snn(kind).network, spec.windows.steps).step(window),
            TorchRuntime(model.network, spec.windows.steps).step(window))
    # the deployed ONNX initializer is the stored one, its row what snn/state_init carries
    deployed = loaded.pose_initializer('onnxruntime')(histogram[0].numpy())
    with torch.no_grad():
        pose, states = loaded.initializer().initialize(histogram)
    np.testing.assert_allclose(deployed.pose, spec.to_pixels(pose)[0], atol=1e-3)
    for (current, voltage), state in zip(states, deployed.states, strict=True):
        np.testing.assert_allclose(state.current, current[0], atol=1e-4)
        np.testing.assert_allclose(state.voltage, voltage[0], atol=1e-4)
    with pytest.raises(HybridPerceptionError, match='ANN backend must be'):
        loaded.pose_initializer('tensorflow')
    # the readout is numpy arrays, read without unpickling: a pickled one is refused
    np.save(bundle.path / 'snn.readout.npz', np.array([{'weight': 1}], dtype=object))
    (bundle.path / 'snn.readout.npz.npy').rename(bundle.path / 'snn.readout.npz')
    with pytest.raises(WeightsError, match='not a readout weights file'):
        load_pose_bundle(bundle.path).readout('hybrid')
    (bundle.path / 'snn_alone.readout.npz').unlink()
    with pytest.raises(HybridPerceptionError, match='snn_alone.readout.npz is missing'):
        load_pose_bundle(bundle.path)


def test_windows_find_their_neighbours_in_their_own_stream(spec, takes):
    samples, person, stream = pose_samples(spec, takes[:2], progress=False)
    after = following(samples, stream, spec.windows.window_us)
    for i, j in enumerate(after):
        if j >= 0:
            assert stream[j] == stream[i]
            assert samples.start_us[j] == samples.start_us[i] + spec.windows.window_us
            np.testing.assert_array_equal(samples.snn[j, 0], samples.snn[i, -1])
        else:
            assert samples.start_us[i] == samples.start_us[stream == stream[i]].max()
    assert set(person) == {takes[0].person}


def test_three_stages_train_and_keep_their_best_epoch(spec, takes):
    samples, person, stream = pose_samples(spec, takes, progress=False)
    data = split_validation(samples, person, stream, val_people=1)
    assert len(data['val'][0]) == 2 * 2 * 4   # one person, two takes, two views, 4 windows
    settings = PoseTraining(ann_epochs=3, snn_epochs=2, val_people=1, device='cpu')
    ann, history = train_ann(spec, data, settings, progress=False)
    val = data['val'][0]
    with torch.no_grad():
        error = spec.to_pixels(ann(torch.from_numpy(val.ann).float())) \
            - torch.from_numpy(val.start_pose).float()
    assert error.norm(dim=-1).mean().item() == pytest.approx(
        min(h['val_error_px'] for h in history), rel=1e-4)
    initializer, snn, history = train_hybrid(spec, ann, data, settings, progress=False)
    assert len(history) == 2 and all(np.isfinite(h['loss']) for h in history)
    # the frozen ANN is untouched, only its state heads trained
    for frozen, trained in zip(ann.encoder.parameters(), initializer.encoder.parameters(),
                               strict=True):
        assert torch.equal(frozen, trained)
    assert not torch.equal(ann.state_heads[0].weight, initializer.state_heads[0].weight)
    alone, history = train_snn_alone(spec, data, settings, progress=False)
    assert len(history) == 2 and all(np.isfinite(h['val_error_px']) for h in history)


def test_scoring_starts_each_window_from_the_anns_pose(spec, takes):
    """With a silent readout that keeps its pose, the hybrid holds the ANN's pose of each
    window's start: the wiring of initialization, windows and scoring, checked end to end."""
    torch.manual_seed(3)
    held = replace(spec, readout_decay=1.0)
    initializer, snn, alone = StateInitializer(held), PoseSnn(held), PoseSnn(held)
    with torch.no_grad():
        snn.readout.weight.zero_()
    ann = PoseInitializer.of(initializer)
    trackers = [PoseTracker.of(m, TorchRuntime(m.network, held.windows.steps))
                for m in (snn, alone)]
    take = takes[0]
    scores = score_takes([take], ann, *trackers)
    predicted = scores.predicted['hybrid'][0]                      # (views, steps, joints, 2)
    windows = held.windows
    assert predicted.shape == (2, 4 * windows.steps, spec.joints, 2)
    for view, events in enumerate(take.events):
        starts = [ann(windows.ann_input(events, s)).pose for s in range(100_000, 500_000, 100_000)]
        np.testing.assert_allclose(predicted[view], np.repeat(starts, windows.steps, axis=0),
                                   rtol=1e-5, atol=1e-3)
    np.testing.assert_allclose(scores.mpjpe_2d('hybrid'), scores.errors_2d('hybrid').mean())
    assert np.mean(scores.error_by_step('ann')) == pytest.approx(scores.mpjpe_2d('ann'))
    assert np.isfinite(scores.mpjpe_3d_mm('ann', list(PeopleRenderer().cameras)))
    power = pose_power(initializer, spec, {m: scores.ops_per_step(m) for m in ('hybrid', 'snn')})
    ann_per_inference = power['ann']['power_w'] / windows.rate_hz
    hybrid_ann_part = power['hybrid']['macs_per_initialization'] \
        / power['ann']['macs_per_inference'] * ann_per_inference * 10
    assert power['hybrid']['power_w'] > hybrid_ann_part            # plus the SNN on Loihi
    assert power['snn']['snn_ops_per_step']['synaptic_op'] > 0
    assert all('ESTIMATE' in line for m in power.values() for line in m['estimate'])


def test_live_poses_are_scored_from_the_first_whole_window_of_each_take(spec):
    from hybrid_perception.datasets.pose_bag import PoseTruth
    from hybrid_perception.hybrid.pose.evaluation import LiveTrack, score_live, scored_steps

    label_us = np.arange(0, 450_001, 10_000)                     # two takes, 0.23 s and 0.22 s
    take = np.where(label_us < 230_000, 0, 1)
    joints_2d = np.random.default_rng(0).uniform(0, 128, (len(label_us), spec.joints, 2))
    truth = PoseTruth(cameras=(), label_us=label_us, joints_3d=np.zeros((len(label_us),
                                                                         spec.joints, 3)),
                      joints_2d={'cam0': joints_2d}, subjects=tuple(f's{t}' for t in take),
                      movements=('walk',) * len(label_us))
    steps = scored_steps(truth, spec.windows)
    assert [(s.start, s.stop) for s, _ in steps] == [(0, 23), (23, 46)]
    assert steps[0][1].tolist() == list(range(110_000, 220_001, 10_000))
    assert steps[1][1].tolist() == list(range(410_000, 450_001, 10_000))  # 230 + 100 -> 400
    ends = np.concatenate([e for _, e in steps])
    exact = {int(e): joints_2d[e // 10_000] for e in ends}
    shifted = {e: p + [3.0, 4.0] for e, p in exact.items() if e != 150_000}
    for poses, error, returned in ((exact, 0.0, 1.0), (shifted, 5.0, 1 - 1 / len(ends))):
        track = LiveTrack({'cam0': poses}, {}, [0.01], [], None)
        scored = score_live(truth, track, spec.windows)
        assert scored['summary']['mpjpe_2d_px'] == pytest.approx(error)
        assert scored['summary']['steps_returned'] == pytest.approx(returned)
        assert scored['error_by_step_px'] == pytest.approx([error] * spec.windows.steps)
