"""Config files and launch files agree with the nodes they configure."""

import ast
from pathlib import Path

import pytest
import yaml

from hybrid_perception.ros.nodes import dvs_driver

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
    ('pose', {f'/{cam}/{node}' for cam in ('cam0', 'cam1')
              for node in ('dvs_driver', 'state_initializer_node', 'pose_snn_node')}
     | {'skeleton_node'}),
    ('conversion', {'image_player', 'image_classifier_node'})])
def test_graph_yamls_set_only_declared_parameters_with_their_types(name, nodes):
    from hybrid_perception.ros.graph import graph_parameters, node_path
    from hybrid_perception.ros.nodes import (
        accumulator_node,
        ann_node,
        image_classifier_node,
        image_player,
        pose_snn_node,
        skeleton_node,
        snn_node,
        state_initializer_node,
    )
    tables = {'dvs_driver': dvs_driver.PARAMETERS, 'snn_node': snn_node.PARAMETERS,
              'accumulator_node': accumulator_node.PARAMETERS, 'ann_node': ann_node.PARAMETERS,
              'state_initializer_node': state_initializer_node.PARAMETERS,
              'pose_snn_node': pose_snn_node.PARAMETERS,
              'skeleton_node': skeleton_node.PARAMETERS,
              'image_player': image_player.PARAMETERS,
              'image_classifier_node': image_classifier_node.PARAMETERS}
    graph = graph_parameters(ROOT / 'config' / f'{name}.yaml')
    assert set(graph) == nodes
    for key, values in graph.items():
        node = node_path(key)[1]
        assert set(values) <= set(tables[node]), key
        for name, value in values.items():
            assert type(value) is type(tables[node][name][0]), f'{key}.{name}'


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
    pose = graph_parameters(ROOT / 'config' / 'pose.yaml',
                            ['dvs_driver.path=bag', '/cam1/pose_snn_node.snn=alone'])
    assert pose['/cam0/dvs_driver']['path'] == pose['/cam1/dvs_driver']['path'] == 'bag'
    assert pose['/cam1/pose_snn_node']['snn'] == 'alone'
    assert pose['/cam0/pose_snn_node']['snn'] == 'hybrid'
    with pytest.raises(HybridPerceptionError, match='no node'):
        graph_parameters(ROOT / 'config' / 'pose.yaml', ['/cam2/dvs_driver.path=bag'])
    (tmp_path / 'g.yaml').write_text('camera_node: {ros__parameters: {}}')
    with pytest.raises(HybridPerceptionError, match='unknown node'):
        graph_parameters(tmp_path / 'g.yaml')


def test_launch_arguments_set_every_camera_alike_with_the_yaml_types():
    import runpy

    from hybrid_perception.ros.launch_graph import launched_nodes
    arguments = runpy.run_path(str(ROOT / 'launch' / 'pose.launch.py'),
                               run_name='launch')['ARGUMENTS']
    graph = yaml.safe_load((ROOT / 'config' / 'pose.yaml').read_text())
    nodes = launched_nodes(graph, {'path': '/bags/7', 'rate': '2', 'snn': 'alone'}, arguments)
    drivers = [n for n in nodes if n[1] == 'dvs_driver']
    assert [n[0] for n in drivers] == ['/cam0', '/cam1']
    assert all(o == {'path': '/bags/7', 'rate': 2.0} for _, _, o, _ in drivers)
    assert type(drivers[0][2]['rate']) is float             # as the driver declares it
    snns = [o for _, name, o, _ in nodes if name == 'pose_snn_node']
    assert snns == [{'snn': 'alone'}] * 2
    assert ('', 'skeleton_node', {}, []) in nodes


def test_launch_arguments_feed_a_graph_from_a_stock_drivers_event_packets():
    """``events_type:=event_packet events_topic:=event_camera/events driver:=false``: no
    dvs_driver, every event-reading node of every camera reads EventPacket from the stock
    driver's topic in its camera's namespace."""
    import runpy

    from hybrid_perception.ros.launch_graph import launched_nodes
    from hybrid_perception.ros.nodes import pose_snn_node, snn_node, state_initializer_node
    for graph_name, readers in (('gesture', {'snn_node': snn_node}),
                                ('pose', {'state_initializer_node': state_initializer_node,
                                          'pose_snn_node': pose_snn_node})):
        arguments = runpy.run_path(str(ROOT / 'launch' / f'{graph_name}.launch.py'),
                                   run_name='launch')['ARGUMENTS']
        graph = yaml.safe_load((ROOT / 'config' / f'{graph_name}.yaml').read_text())
        nodes = launched_nodes(graph, {'events_type': 'event_packet', 'driver': 'false',
                                       'events_topic': 'event_camera/events'}, arguments)
        assert not [n for n in nodes if n[1] == 'dvs_driver']
        for _, name, overrides, remappings in nodes:
            if name in readers:
                assert 'events_type' in readers[name].PARAMETERS
                assert overrides == {'events_type': 'event_packet'}
            assert remappings == [('events', 'event_camera/events')]


def test_conversion_launch_arguments_reach_the_classifier_typed():
    import runpy

    from hybrid_perception.ros.launch_graph import launched_nodes
    arguments = runpy.run_path(str(ROOT / 'launch' / 'conversion.launch.py'),
                               run_name='launch')['ARGUMENTS']
    graph = yaml.safe_load((ROOT / 'config' / 'conversion.yaml').read_text())
    nodes = launched_nodes(graph, {'network': 'ann', 'steps': '32', 'source': 'bag',
                                   'path': '/bags/digits', 'rate_hz': '5'}, arguments)
    assert ('', 'image_classifier_node', {'network': 'ann', 'steps': 32}, []) in nodes
    player = next(o for _, name, o, _ in nodes if name == 'image_player')
    assert player == {'source': 'bag', 'path': '/bags/digits', 'rate_hz': 5.0}
    assert type(player['rate_hz']) is float
