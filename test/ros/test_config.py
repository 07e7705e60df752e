"""Config files and launch files agree with the nodes they configure."""

import ast
from pathlib import Path

import pytest
import yaml

from hybrid_perception.ros import dvs_driver

ROOT = Path(__file__).resolve().parents[2]


def test_driver_yaml_sets_declared_parameters_with_their_types():
    params = yaml.safe_load((ROOT / 'config' / 'dvs_driver.yaml').read_text())
    values = params['dvs_driver']['ros__parameters']
    assert set(values) == set(dvs_driver.PARAMETERS)
    for name, value in values.items():
        default = dvs_driver.PARAMETERS[name][0]
        assert type(value) is type(default), f'{name}: {value!r} vs default {default!r}'
        assert value == default, f'{name}: the YAML and the node disagree on the default'


def test_launch_files_are_valid_python_with_a_launch_description():
    for launch in (ROOT / 'launch').glob('*.launch.py'):
        tree = ast.parse(launch.read_text())
        names = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
        assert 'generate_launch_description' in names, launch.name


@pytest.mark.parametrize('name, nodes', [
    ('gesture', {'dvs_driver', 'snn_node', 'accumulator_node', 'ann_node'}),
    ('pose', {'dvs_driver', 'state_initializer_node', 'pose_snn_node'})])
def test_graph_yamls_set_only_declared_parameters_with_their_types(name, nodes):
    from hybrid_perception.ros import (
        accumulator_node,
        ann_node,
        pose_snn_node,
        snn_node,
        state_initializer_node,
    )
    from hybrid_perception.ros.graph import graph_parameters
    tables = {'dvs_driver': dvs_driver.PARAMETERS, 'snn_node': snn_node.PARAMETERS,
              'accumulator_node': accumulator_node.PARAMETERS, 'ann_node': ann_node.PARAMETERS,
              'state_initializer_node': state_initializer_node.PARAMETERS,
              'pose_snn_node': pose_snn_node.PARAMETERS}
    graph = graph_parameters(ROOT / 'config' / f'{name}.yaml')
    assert set(graph) == nodes
    for node, values in graph.items():
        assert set(values) <= set(tables[node]), node
        for name, value in values.items():
            assert type(value) is type(tables[node][name][0]), f'{node}.{name}'


def test_graph_overrides_are_typed_and_checked(tmp_path):
    import pytest

    from hybrid_perception.errors import HybridPerceptionError
    from hybrid_perception.ros.graph import graph_parameters
    graph = graph_parameters(ROOT / 'config' / 'gesture.yaml',
                             ['dvs_driver.rate=0.0', 'dvs_driver.loop=true'])
    assert graph['dvs_driver']['rate'] == 0.0 and graph['dvs_driver']['loop'] is True
    for bad, message in (('nodot=1', 'node.parameter=value'), ('ghost.x=1', 'no node'),
                         ('dvs_driver.rate', 'node.parameter=value')):
        with pytest.raises(HybridPerceptionError, match=message):
            graph_parameters(ROOT / 'config' / 'gesture.yaml', [bad])
    (tmp_path / 'g.yaml').write_text('camera_node: {ros__parameters: {}}')
    with pytest.raises(HybridPerceptionError, match='unknown node'):
        graph_parameters(tmp_path / 'g.yaml')
