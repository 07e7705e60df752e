"""H1's SxAy classifier: the cut, the accumulator between the halves, and that the live
(streamed) path gives the trained model's numbers."""

from dataclasses import replace

import numpy as np
import pytest
import torch

from hybrid_perception.hybrid.gesture import (
    HybridClassifier,
    IntervalObjective,
    load_hybrid_spec,
    stream_accuracy,
    stream_logits,
)
from hybrid_perception.hybrid.gesture.model import played_windows
from hybrid_perception.hybrid.gesture.spec import READOUT_GAIN, HybridSpec
from hybrid_perception.networks.accumulator import SpikeAccumulator
from hybrid_perception.networks.ann.model import build_ann
from hybrid_perception.networks.energy.operations import count_snn_ops
from hybrid_perception.networks.snn import ConvLayer, DenseLayer, SpecError, TorchRuntime


@pytest.fixture(scope='module')
def gesture():
    return load_hybrid_spec('gesture')


@pytest.fixture
def spikes(rng):
    return torch.from_numpy((rng.random((3, 16, 2, 32, 32)) < 0.15).astype(np.float32))


def test_the_cut_names_the_model_and_its_halves(gesture):
    assert [gesture.cut(x).name for x in range(7)] == [
        'S0A6', 'S1A5', 'S2A4', 'S3A3', 'S4A2', 'S5A1', 'S6A0']
    assert [gesture.cut(x).kind for x in (0, 3, 6)] == ['ann', 'hybrid', 'snn']
    assert gesture.cut(0).feature_shape == (2, 32, 32)
    assert gesture.cut(2).feature_shape == (32, 8, 8)
    assert HybridSpec.from_dict(gesture.cut(3, 8).to_dict()) == gesture.cut(3, 8)


@pytest.mark.parametrize('change, message', [
    (dict(spiking=7), 'spiking must be 0..6'),
    (dict(interval=0), 'interval'),
    (dict(repeats=0), 'repeats'),
    (dict(classes=('a', 'b')), 'one unit per class'),
    (dict(layers=(DenseLayer(8), ConvLayer(4), DenseLayer(11))), 'cannot follow a dense'),
])
def test_bad_specs_say_what_is_wrong(gesture, change, message):
    with pytest.raises(SpecError, match=message):
        HybridSpec(**{**gesture.__dict__, **change})


def test_unknown_spec_lists_the_builtin_ones(tmp_path):
    with pytest.raises(SpecError, match='built-in: gesture'):
        load_hybrid_spec(tmp_path / 'nope.yaml')


def test_ann_baseline_sees_event_frames_of_each_interval(gesture, spikes):
    model = HybridClassifier(gesture.cut(0, 4))
    features = model.features(spikes)
    expected = spikes.numpy().reshape(3, 4, 4, 2, 32, 32).sum(axis=2)
    assert np.array_equal(features.numpy(), expected)
    assert model.snn is None and model(spikes).shape == (3, 4, len(gesture.classes))


def test_snn_baseline_decides_by_output_spike_counts(gesture, spikes):
    model = HybridClassifier(gesture.cut(6, 2))
    out = model.snn(spikes.permute(0, 2, 3, 4, 1))          # SLAYER layout, (N, classes, T)
    counts = out.reshape(3, len(gesture.classes), 8, 2).sum(-1).transpose(1, 2)
    assert model.ann is None
    assert torch.equal(model(spikes), counts * READOUT_GAIN / 2)


def test_a_converted_snn_plays_each_intervals_bins_over_and_over(gesture, spikes):
    """A rate-coded SNN needs more steps per decision than an interval has bins: with
    ``repeats`` R it sees bins 0..I-1 R times in a row, then the next interval's."""
    spec = replace(gesture.cut(6, 4), repeats=3)
    played = played_windows(spikes, spec)
    assert played.shape == (3, 48, 2, 32, 32) and spec.window_steps == 12
    assert torch.equal(played[:, 12:24], spikes[:, 4:8].repeat(1, 3, 1, 1, 1))
    assert HybridSpec.from_dict(spec.to_dict()) == spec
    model = HybridClassifier(spec)
    out = model.snn(played.permute(0, 2, 3, 4, 1))
    counts = out.reshape(3, len(gesture.classes), 4, 12).sum(-1).transpose(1, 2)
    assert torch.equal(model(spikes), counts * READOUT_GAIN / 12)


@pytest.mark.parametrize('repeats, from_rest', [(1, False), (3, False), (2, True)])
def test_a_live_window_is_played_as_the_batch_plays_each_interval(gesture, spikes, repeats,
                                                                    from_rest):
    """SpikingStage plays one interval with numpy (HybridSpec.play), training a batch with
    torch (played_windows): the same steps."""
    spec = replace(gesture.cut(6, 4), repeats=repeats, from_rest=from_rest)
    batch = played_windows(spikes, spec)
    interval = spikes[1, 4:8].numpy()
    live = spec.play(interval)
    assert live.shape == (spec.window_steps, 2, 32, 32)
    expected = batch[5] if from_rest else batch[1, 4 * repeats:8 * repeats]
    assert np.array_equal(live, expected.numpy())


def test_from_rest_each_interval_is_its_own_inference_with_silence_after(gesture, spikes):
    """What a converted network's non-leaking neurons need: no state from the last window."""
    spec = replace(gesture.cut(6, 4), repeats=2, from_rest=True)
    assert spec.window_steps == 8 + 7 and HybridSpec.from_dict(spec.to_dict()) == spec
    played = played_windows(spikes, spec)
    assert played.shape == (3 * 4, 15, 2, 32, 32)
    assert torch.equal(played[5, :8], spikes[1, 4:8].repeat(2, 1, 1, 1))
    assert not played[:, 8:].any()
    torch.manual_seed(0)
    model = HybridClassifier(spec)
    with torch.no_grad():
        whole = model(spikes)
        alone = model(torch.cat([torch.zeros_like(spikes[:1, :4]), spikes[1:2, 4:8]], dim=1))
    assert torch.equal(whole[1, 1], alone[0, 1])    # the window before it changes nothing


@pytest.mark.parametrize('spiking, interval', [(1, 2), (3, 4), (6, 8)])
def test_streaming_through_runtime_and_accumulator_gives_the_batch_logits(
        gesture, spikes, spiking, interval):
    """The live graph (SNN runtime per window -> accumulator -> ANN) is the trained model."""
    spec = gesture.cut(spiking, interval)
    torch.manual_seed(0)
    model = HybridClassifier(spec).eval()
    with torch.no_grad():
        expected = model(spikes[:1])[0]
    runtime = TorchRuntime(model.snn, window_steps=interval)
    accumulator = SpikeAccumulator(spec.feature_shape, interval)
    logits = []
    for start in range(0, 16, interval):
        out = runtime.step(spikes[0, start:start + interval].numpy())
        for counts in accumulator.push(out):
            with torch.no_grad():
                logits.append(model.decide(torch.from_numpy(counts)[None])[0])
    assert torch.allclose(torch.stack(logits), expected, atol=1e-5)


def test_objective_scores_only_after_the_warm_up():
    objective = IntervalObjective(interval=4, warmup_steps=6)
    assert objective.first_scored == 2
    # clip 0: the warm-up intervals say class 1, the scored ones class 0
    logits = torch.tensor([[[0.0, 9.0], [0.0, 9.0], [3.0, 0.0], [1.0, 0.0]],
                           [[9.0, 0.0], [9.0, 0.0], [0.0, 2.0], [0.5, 0.0]]])
    assert objective.predict(logits).tolist() == [0, 1]
    labels = torch.tensor([0, 1])
    worse = objective.loss(logits.flip(-1), labels)
    assert objective.loss(logits, labels) < worse


def test_objective_plays_the_end_of_another_clip_before_each_clip(spikes):
    objective = IntervalObjective(interval=4, warmup_steps=4, context_steps=8)
    assert objective.first_scored == 3
    played = objective.inputs(spikes)
    assert played.shape == (3, 24, 2, 32, 32)
    assert torch.equal(played[:, 8:], spikes)
    assert torch.equal(played[1, :8], spikes[0, -8:]) and torch.equal(played[0, :8], spikes[2, -8:])


def test_the_synops_training_prices_are_the_ones_counted_for_energy(gesture, spikes):
    spec = gesture.cut(3, 4)
    torch.manual_seed(0)
    model = HybridClassifier(spec).train()
    model(spikes)
    counted = [count_snn_ops(spec.snn_spec, clip.numpy(),
                             [s[i].movedim(-1, 0).detach().numpy()
                              for s in model.snn.layer_spikes])
               for i, clip in enumerate(spikes)]
    hidden = sum(c.per_layer[layer].synaptic_op for c in counted for layer in ('layer1', 'layer2'))
    assert hidden > 0
    assert model.synaptic_ops().item() == pytest.approx(hidden / (3 * 16 / 4))


def test_the_synops_penalty_teaches_the_head_to_spike_less(gesture, spikes):
    objective = IntervalObjective(interval=4, synops_weight=1.0)
    torch.manual_seed(0)
    model = HybridClassifier(gesture.cut(2, 4)).train()
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-2)
    model(spikes)
    before = model.synaptic_ops().item()
    for _ in range(20):
        model(spikes)
        optimiser.zero_grad()
        objective.penalty(model).backward()
        optimiser.step()
    model(spikes)
    assert model.synaptic_ops().item() < 0.5 * before
    ann = HybridClassifier(gesture.cut(0)).train()
    ann(spikes)
    assert objective.penalty(ann).item() == 0   # no spiking head, nothing to price


def test_a_cut_starts_from_the_all_ann_cut_of_the_same_stack(gesture, spikes):
    torch.manual_seed(0)
    ann = HybridClassifier(gesture.cut(0))
    hybrid = HybridClassifier(gesture.cut(2))
    hybrid.copy_layers_from(ann)
    donor = ann.layer_parameters()
    for (weight, bias), (source, source_bias) in zip(hybrid.layer_parameters(), donor,
                                                     strict=True):
        assert torch.equal(weight.flatten(), source.flatten())
        assert bias is None or torch.equal(bias, source_bias)
    twin = HybridClassifier(gesture.cut(0))
    twin.copy_layers_from(ann)
    with torch.no_grad():
        assert torch.equal(twin(spikes), ann(spikes))
    other = HybridSpec(gesture.input_shape,
                       gesture.layers[:-2] + (DenseLayer(len(gesture.classes)),),
                       gesture.classes, 0, 4)
    with pytest.raises(SpecError, match='stacks differ'):
        hybrid.copy_layers_from(HybridClassifier(other))


def test_a_stream_differs_from_separate_clips_only_through_state(gesture, spikes):
    torch.manual_seed(0)
    ann, snn = HybridClassifier(gesture.cut(0, 4)), HybridClassifier(gesture.cut(6, 4))
    with torch.no_grad():
        assert torch.allclose(stream_logits(ann, spikes), ann(spikes), atol=1e-5)
        first = snn(spikes[:1])[0]
        streamed = stream_logits(snn, spikes)
    assert torch.equal(streamed[0], first)           # the stream starts from rest too
    assert not torch.equal(streamed[1:], snn(spikes[1:]))
    with pytest.raises(ValueError, match='whole intervals'):
        stream_logits(ann, spikes[:, :10])


def test_stream_accuracy_scores_each_clip_of_the_stream(gesture, spikes):
    torch.manual_seed(0)
    model = HybridClassifier(gesture.cut(0, 4))
    clips = spikes.numpy().astype(np.uint8).repeat(4, axis=0)   # 12 clips, 3 chunks of 5
    objective = IntervalObjective(4, warmup_steps=4, context_steps=8)
    with torch.no_grad():
        predicted = replace(objective, context_steps=0).predict(model(spikes)).numpy()
    labels = predicted.repeat(4)
    assert stream_accuracy(model, objective, (clips, labels), chunk=5) == 1.0
    assert stream_accuracy(model, objective, (clips, (labels + 1) % len(gesture.classes)),
                           chunk=5) == 0.0


def test_build_ann_matches_the_stack(gesture):
    ann = build_ann((32, 8, 8), gesture.layers[2:])
    assert ann(torch.zeros(5, 32, 8, 8)).shape == (5, len(gesture.classes))
    assert isinstance(ann[-1], torch.nn.Linear)   # logits: no activation after the last layer
    with pytest.raises(SpecError, match='cannot follow a dense'):
        build_ann((4,), [DenseLayer(3), ConvLayer(2)])
