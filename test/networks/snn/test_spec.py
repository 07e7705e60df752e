from __future__ import annotations

import pytest
import yaml

from hybrid_perception.networks.snn import (
    BUILTIN_SPECS,
    ConvLayer,
    DenseLayer,
    NetworkSpec,
    NeuronSpec,
    SpecError,
    load_spec,
)


def test_shipped_spec_shapes_follow_conv_arithmetic(motion_spec):
    spec = motion_spec
    assert spec.layer_shapes() == [(8, 16, 16), (16, 8, 8), (64,), (4,)]
    assert spec.output_shape == (4,)


def test_dict_round_trip_is_lossless():
    spec = NetworkSpec((2, 9, 7), (ConvLayer(4, kernel=5, stride=3, padding=2), DenseLayer(3)),
                       NeuronSpec(threshold=0.5))
    assert NetworkSpec.from_dict(spec.to_dict()) == spec
    assert spec.layer_shapes() == [(4, 3, 3), (3,)]


@pytest.mark.parametrize('layers, message', [
    ([{'type': 'dense', 'units': 4}, {'type': 'conv', 'channels': 2}], 'layer 1'),
    ([{'type': 'pool', 'size': 2}], "'pool'"),
    ([{'type': 'conv', 'channels': 2, 'kernel': 9, 'padding': 0}], 'layer 0'),
    ([{'type': 'dense', 'unit': 4}], 'unit'),
    ([], 'at least one layer'),
])
def test_undeployable_specs_are_refused_with_the_reason(layers, message):
    with pytest.raises(SpecError, match=message):
        NetworkSpec.from_dict({'input_shape': [2, 8, 8], 'layers': layers})


def test_specs_load_by_name_or_path(motion_spec, tmp_path):
    assert 'motion' in BUILTIN_SPECS
    (tmp_path / 'mine.yaml').write_text(yaml.safe_dump(motion_spec.to_dict()))
    assert load_spec(tmp_path / 'mine.yaml') == motion_spec
    with pytest.raises(SpecError, match='built-in: motion'):
        load_spec('no-such-spec')


def test_unreadable_spec_file_is_a_spec_error(tmp_path):
    (tmp_path / 'list.yaml').write_text('- 1\n- 2\n')
    with pytest.raises(SpecError, match='mapping'):
        NetworkSpec.from_yaml(tmp_path / 'list.yaml')
    with pytest.raises(SpecError, match='cannot read'):
        NetworkSpec.from_yaml(tmp_path / 'missing.yaml')
