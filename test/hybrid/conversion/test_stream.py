"""The shipped converted model on single images, as image_classifier_node runs it: streamed
step by step through the runtimes it gives what the batched forward gives, an early decision
stops only when decided, and any camera image becomes the model's input."""

from __future__ import annotations

import numpy as np
import pytest

from hybrid_perception.datasets.digits import load_digits
from hybrid_perception.errors import HybridPerceptionError
from hybrid_perception.hybrid.conversion.bundle import load_converted, save_converted
from hybrid_perception.hybrid.conversion.loihi_build import deployed_activity, run_deployed
from hybrid_perception.hybrid.conversion.model import LeNet5
from hybrid_perception.hybrid.conversion.stream import ImageClassifier, image_input
from hybrid_perception.networks.snn.model import SpikingNetwork


@pytest.fixture(scope='module')
def digits():
    return load_converted('digits'), load_digits('test')


def test_streamed_counts_equal_the_batched_forward(digits):
    bundle, test = digits
    images, labels = test.images[:12], test.labels[:12]
    _, batched = run_deployed(SpikingNetwork.load_hdf5(bundle.snn_path), images, labels,
                              bundle.steps)
    classifier = ImageClassifier(bundle, count_ops=True)
    decisions = [classifier(image[0]) for image in images]
    assert np.array_equal([d.counts for d in decisions], batched)
    assert all(d.steps == bundle.steps for d in decisions)
    assert [d.label for d in decisions] == [bundle.classes[int(c.argmax())] for c in batched]
    ops = classifier.ops_per_image()
    assert ops.synaptic_op > 0 and ops.spike_out >= batched.sum() / len(images)


def test_the_batched_activity_count_is_the_streamed_runtimes(digits):
    """What convert reports for the Loihi build equals what the node counts live."""
    bundle, test = digits
    images = test.images[:6]
    spikes, ops = deployed_activity(SpikingNetwork.load_hdf5(bundle.snn_path), images,
                                    bundle.steps)
    classifier = ImageClassifier(bundle, count_ops=True)
    for image in images:
        classifier(image[0])
    counted = classifier.ops_per_image()
    assert ops[-1] == pytest.approx(counted.synaptic_op)
    assert spikes[-1] == pytest.approx(counted.spike_out)
    assert np.all(np.diff(ops) >= 0) and ops[0] < ops[-1]


def test_early_decision_stops_only_once_the_lead_is_reached(digits):
    bundle, test = digits
    steps, margin = 48, 3
    full = ImageClassifier(bundle, steps=steps)
    early = ImageClassifier(bundle, steps=steps, margin=margin, check_every=8)
    stopped = 0
    for image in test.images[:15]:
        decision = early(image[0])
        assert decision.steps <= steps
        if decision.steps < steps:
            stopped += 1
            top = np.sort(decision.counts)[-2:]
            assert top[1] - top[0] >= margin
            assert decision.label == full(image[0]).label
    assert stopped and early.mean_steps() < steps


def test_the_ann_baseline_is_the_onnx_file_it_was_converted_from(digits):
    bundle, test = digits
    ann = ImageClassifier(bundle, 'ann')
    reference = bundle.ann_runtime()(test.images[:5])
    for image, logits in zip(test.images[:5], reference, strict=True):
        decision = ann(image[0])
        assert decision.steps == 0 and decision.label == bundle.classes[int(logits.argmax())]
        assert decision.probabilities.sum() == pytest.approx(1.0, abs=1e-5)
    assert ann.ops_per_image().mac > 0


def test_camera_images_become_the_models_input(rng):
    grey = rng.random((56, 56)).astype(np.float32)
    blocks = grey.reshape(28, 2, 28, 2).mean(axis=(1, 3))
    assert np.allclose(image_input(grey, 28)[0], blocks, atol=1e-6)
    as_bytes = np.round(grey * 255).astype(np.uint8)
    bgr = np.repeat(as_bytes[..., None], 3, axis=2)
    assert np.allclose(image_input(bgr, 56), image_input(as_bytes, 56), atol=1e-5)
    wide = (as_bytes.astype(np.uint16) * 257)           # mono16: the full range is 65535
    assert np.allclose(image_input(wide, 56), image_input(as_bytes, 56), atol=1e-6)
    blue = np.zeros((8, 8, 3), np.uint8)
    blue[..., 0] = 255
    assert image_input(blue, 8).max() == pytest.approx(0.114, abs=1e-3)  # BT.601 luma
    for bad in (np.zeros((4, 4, 2)), np.zeros((0, 5)), np.zeros(7)):
        with pytest.raises(HybridPerceptionError):
            image_input(bad, 28)


def test_model_folders_are_checked_when_loaded(digits, tmp_path):
    bundle, _ = digits
    copy = save_converted(tmp_path / 'copy', SpikingNetwork.load_hdf5(bundle.snn_path),
                          LeNet5(28, bias=False), 16, bundle.classes, {'note': 'copy'})
    again = load_converted(copy.path)
    assert (again.steps, again.classes, again.metrics) == (16, bundle.classes, {'note': 'copy'})
    # the ANN's multiply-accumulates, counted on the network given: LeNet-5's layers
    assert again.ann_macs == 6 * 28 * 28 * 25 + 16 * 10 * 10 * 150 + 400 * 120 + 120 * 84 + 840
    assert again.spec == bundle.spec
    with pytest.raises(HybridPerceptionError, match='classes'):
        save_converted(tmp_path / 'three', SpikingNetwork.load_hdf5(bundle.snn_path),
                       LeNet5(28, bias=False), 16, ('a', 'b', 'c'))
        load_converted(tmp_path / 'three')
    (copy.path / 'snn.net').unlink()
    with pytest.raises(HybridPerceptionError, match='snn.net is missing'):
        load_converted(copy.path)
    with pytest.raises(HybridPerceptionError, match='not a converted model folder'):
        load_converted('gesture/hybrid')

