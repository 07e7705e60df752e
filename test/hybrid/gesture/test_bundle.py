"""A trained classifier's folder: written once, run by every backend with the same numbers."""

import numpy as np
import pytest
import torch

from hybrid_perception.errors import HybridPerceptionError
from hybrid_perception.hybrid.gesture import HybridClassifier, load_hybrid_spec
from hybrid_perception.hybrid.gesture.bundle import InputBinning, load_bundle, save_bundle
from hybrid_perception.networks.accumulator import SpikeAccumulator
from hybrid_perception.networks.ann.runtime import OnnxAnn


@pytest.fixture(scope='module')
def bundle(tmp_path_factory):
    torch.manual_seed(3)
    model = HybridClassifier(load_hybrid_spec('gesture').cut(2, 4))
    return save_bundle(model, tmp_path_factory.mktemp('bundle'), InputBinning(),
                       {'test_accuracy': 0.5})


@pytest.fixture
def spikes(rng):
    return (rng.random((16, 2, 32, 32)) < 0.2).astype(np.float32)


def test_round_trip_keeps_spec_binning_metrics_and_weights(bundle, spikes):
    loaded = load_bundle(bundle.path)
    assert (loaded.spec, loaded.binning, loaded.metrics) == (bundle.spec, bundle.binning,
                                                           bundle.metrics)
    assert sorted(p.name for p in bundle.path.iterdir()) == ['ann.onnx', 'model.pt',
                                                             'model.yaml', 'snn.net']
    with torch.no_grad():
        x = torch.from_numpy(spikes)[None]
        assert torch.equal(loaded.model()(x), bundle.model()(x))


@pytest.mark.parametrize('snn_backend, ann_backend', [('torch', 'onnxruntime'),
                                                      ('lava', 'torch')])
def test_every_backend_pair_gives_the_models_logits(bundle, spikes, snn_backend, ann_backend):
    with torch.no_grad():
        expected = bundle.model()(torch.from_numpy(spikes)[None])[0].numpy()
    accumulator = SpikeAccumulator(bundle.spec.feature_shape, bundle.spec.interval)
    ann = bundle.ann_runtime(ann_backend)
    with bundle.snn_runtime(snn_backend) as snn:
        logits = [ann(accumulator.push(snn.step(spikes[t:t + 4]))) for t in range(0, 16, 4)]
    assert np.allclose(np.concatenate(logits), expected, atol=1e-4)


def test_bad_folders_and_inputs_are_clear_errors(bundle, tmp_path):
    with pytest.raises(HybridPerceptionError, match='not a model folder'):
        load_bundle(tmp_path)
    broken = tmp_path / 'broken'
    broken.mkdir()
    (broken / 'model.yaml').write_text((bundle.path / 'model.yaml').read_text())
    (broken / 'model.pt').write_bytes((bundle.path / 'model.pt').read_bytes())
    with pytest.raises(HybridPerceptionError, match='snn.net is missing'):
        load_bundle(broken)
    (tmp_path / 'garbage.onnx').write_bytes(b'not onnx')
    with pytest.raises(HybridPerceptionError, match='cannot load ONNX'):
        OnnxAnn(tmp_path / 'garbage.onnx')
    with pytest.raises(HybridPerceptionError, match=r'ANN input must be \(M, 32, 8, 8\)'):
        bundle.ann_runtime()(np.zeros((1, 32, 8, 7)))
    with pytest.raises(HybridPerceptionError, match='SNN backend'):
        bundle.snn_runtime('loihi')


@pytest.mark.parametrize('name', ['gesture/hybrid', 'gesture/ann', 'gesture/snn',
                                  'gesture/converted'])
def test_the_specs_ann_macs_are_what_the_torch_tail_counts(name):
    """ann_node prices the ANN side from the spec's layer shapes (no torch model to run): the
    same MACs as counting the shipped tail's layers as they run."""
    from hybrid_perception.networks.energy import count_macs
    bundle = load_bundle(name)
    model = bundle.model()
    counted = 0 if model.ann is None else count_macs(
        model.ann, torch.zeros(1, *bundle.spec.feature_shape)).total
    assert bundle.spec.ann_macs == counted
    assert (counted > 0) == (bundle.spec.kind != 'snn')
