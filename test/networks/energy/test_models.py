from __future__ import annotations

import pytest
import torch
import yaml

from hybrid_perception.errors import HybridPerceptionError
from hybrid_perception.networks.energy import (
    COEFFICIENTS_FILE,
    EnergyModel,
    OpCounts,
    count_macs,
    count_snn_ops,
    platforms,
)
from hybrid_perception.networks.snn import ConvLayer, DenseLayer, NetworkSpec

OPS = OpCounts(synaptic_op=10_000, neuron_update_active=300, neuron_update_inactive=700,
               spike_out=50, mac=2_000_000)


def test_every_platform_names_its_source_and_has_what_its_kind_needs():
    entries = yaml.safe_load(COEFFICIENTS_FILE.read_text())
    assert {'loihi', 'loihi2', 'jetson_nano', 'jetson_orin_nano', 'ncs2'} <= set(entries)
    for name, entry in entries.items():
        assert entry['source'] and 'verified' in entry, name
        if entry['kind'] == 'per_operation':
            assert set(entry['pj']) <= set(OPS.as_dict()), name
        else:
            assert entry['mode'] in entry['power_w'], name
            assert entry['peak_macs_per_s'] > 0 and 0 < entry['utilisation'] <= 1, name


def test_per_operation_energy_is_count_times_coefficient():
    model = EnergyModel('loihi')
    pj = model.entry['pj']
    expected = sum(getattr(OPS, name) * value for name, value in pj.items()) * 1e-12
    assert model.estimate(OPS).joules == pytest.approx(expected)
    doubled = OpCounts(**{k: 2 * v for k, v in OPS.as_dict().items()})
    assert model.estimate(doubled).joules == pytest.approx(2 * expected)
    timed = model.estimate(OPS, seconds=0.01)
    assert timed.joules == pytest.approx(expected)
    assert timed.watts == pytest.approx(expected / 0.01)
    # the whole chip also draws its idle power over the duration, printed with its coefficient
    whole = model.estimate(OPS, seconds=0.01, idle=True)
    assert whole.joules == pytest.approx(expected + model.entry['idle_w'] * 0.01)
    assert whole.watts == pytest.approx(whole.joules / 0.01)
    assert f"idle W {model.entry['idle_w']:g}" in str(whole)


def test_board_energy_is_power_times_time():
    model = EnergyModel('jetson_nano', mode='5W')
    assert model.estimate(OPS, seconds=0.02).joules == pytest.approx(5.0 * 0.02)
    entry = model.entry
    modelled = model.estimate(OPS)
    seconds = OPS.mac / (entry['peak_macs_per_s'] * entry['utilisation'])
    assert modelled.seconds == pytest.approx(seconds)
    assert modelled.watts == pytest.approx(5.0)


def test_a_board_with_a_per_inference_floor_never_models_less_time():
    ncs2 = EnergyModel('ncs2')
    floor = ncs2.entry['min_seconds']
    tiny = ncs2.estimate(OpCounts(mac=1000))
    assert tiny.seconds == floor and tiny.joules == pytest.approx(floor * 1.5)
    huge = OpCounts(mac=1e12)
    assert ncs2.estimate(huge).seconds == pytest.approx(
        1e12 / (ncs2.entry['peak_macs_per_s'] * ncs2.entry['utilisation']))
    assert f'min s {floor:g}' in str(tiny)
    assert EnergyModel('ncs2', mode='ncs_measured').estimate(OpCounts(mac=1000)).watts == \
        pytest.approx(0.647)


def test_layer_energies_add_up_to_the_whole(rng):
    spec = NetworkSpec((2, 8, 8), (ConvLayer(4, stride=2), DenseLayer(5)))
    snn = count_snn_ops(spec, rng.random((4, 2, 8, 8)) < 0.3,
                        [rng.random((4, *shape)) < 0.3 for shape in spec.layer_shapes()])
    ann = count_macs(torch.nn.Sequential(torch.nn.Conv2d(2, 4, 3), torch.nn.Flatten(),
                                         torch.nn.Linear(144, 5)), torch.zeros(1, 2, 8, 8))
    for model, ops in ((EnergyModel('loihi'), snn), (EnergyModel('jetson_orin_nano'),
                                                      ann.op_counts())):
        layers = model.per_layer(ops)
        assert len(layers) == 2 and min(layers.values()) > 0
        assert sum(layers.values()) == pytest.approx(model.estimate(ops).joules)


def test_printed_estimates_say_they_are_estimates_and_where_from():
    for platform in platforms():
        text = str(EnergyModel(platform).estimate(OPS))
        assert 'ESTIMATE' in text and EnergyModel(platform).entry['source'] in text
    assert 'unverified' in str(EnergyModel('loihi2').estimate(OPS))


def test_unknown_platform_or_mode_is_refused():
    with pytest.raises(HybridPerceptionError, match='known: .*loihi'):
        EnergyModel('tpu')
    with pytest.raises(HybridPerceptionError, match='power mode'):
        EnergyModel('jetson_nano', mode='100W')
