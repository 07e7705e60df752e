from __future__ import annotations

import h5py
import pytest
import torch

from hybrid_perception.errors import HybridPerceptionError
from hybrid_perception.networks.snn import SpikingNetwork, read_spec
from hybrid_perception.networks.snn.training import TrainConfig, evaluate, load_checkpoint, train


def _quantised(network):
    return [block.synapse.pre_hook_fx(block.synapse.weight)
            for block in network.spiking_blocks]


def test_export_reloads_to_the_same_quantised_network(trained, exported, clips):
    loaded = SpikingNetwork.load_hdf5(exported)
    assert loaded.spec == trained.model.spec == read_spec(exported)
    for a, b in zip(_quantised(trained.model), _quantised(loaded), strict=True):
        assert torch.equal(a, b)
    x = torch.from_numpy(clips[1][0][:8]).permute(0, 2, 3, 4, 1).contiguous()
    trained.model.eval()
    with torch.no_grad():
        assert torch.equal(trained.model(x), loaded(x))


def test_export_is_what_netx_reads(exported):
    with h5py.File(exported) as handle:
        kinds = [handle[f'layer/{i}/type'][0].decode() for i in range(len(handle['layer']))]
        assert kinds == ['conv', 'conv', 'flatten', 'dense', 'dense']
        assert int(handle['layer/0/neuron/vThMant'][()]) == int(1.25 * 64)


def test_training_learns_the_motion_task(trained, clips):
    assert [s.epoch for s in trained.history] == [1, 2, 3]
    assert trained.history[-1].loss < trained.history[0].loss
    assert trained.best_val_accuracy > 0.5, trained.history  # chance is 0.25


def test_best_checkpoint_rebuilds_the_network(trained, clips):
    network = load_checkpoint(trained.best_checkpoint)
    assert evaluate(network, clips[1]) == trained.best_val_accuracy
    assert (trained.best_checkpoint.parent / 'last.pt').exists()


def test_same_seed_trains_the_same_weights(clips, motion_spec, tmp_path):
    small = (clips[0][0][:32], clips[0][1][:32])
    runs = [train(motion_spec, small, small, TrainConfig(epochs=1, seed=7),
                  tmp_path / str(i), progress=False).model for i in range(2)]
    for a, b in zip(runs[0].parameters(), runs[1].parameters(), strict=True):
        assert torch.equal(a, b)


def test_a_file_without_our_spec_is_refused(tmp_path):
    with h5py.File(tmp_path / 'foreign.net', 'w') as handle:
        handle.create_group('layer')
    with pytest.raises(HybridPerceptionError, match='not a network exported'):
        read_spec(tmp_path / 'foreign.net')
    with pytest.raises(HybridPerceptionError, match='not a network exported'):
        read_spec(tmp_path / 'missing.net')
