"""A graph of the package's nodes in one process, from the YAML that ``ros2 launch`` reads.

``config/<graph>.yaml`` is a ROS 2 parameter file whose top-level keys are nodes: a name
(``dvs_driver``, ``snn_node``, ...) or a fully qualified one (``/cam0/dvs_driver``) for a node
in a namespace, as when each camera of a rig has its own chain. ``launch/<graph>.launch.py``
starts one process per key with that file; :func:`start_graph` builds the same nodes in this
process for ``hybrid-perception run`` and ``evaluate``, so the two can never disagree on a
parameter.
"""

from __future__ import annotations

from importlib import import_module
from pathlib import Path
from typing import Any

import yaml
from rclpy.node import Node
from rclpy.parameter import Parameter

from hybrid_perception.errors import HybridPerceptionError
from hybrid_perception.ros.entry import one_compute_thread, stop_node

__all__ = ['NODE_TYPES', 'graph_parameters', 'node_path', 'parse_override', 'start_graph']


#: node type -> its class, in hybrid_perception.ros.nodes.<type>; imported only when a graph
#: has one, so a graph without torch models does not import torch
_CLASSES = {'dvs_driver': 'DvsDriver', 'snn_node': 'SnnNode',
            'accumulator_node': 'AccumulatorNode', 'ann_node': 'AnnNode',
            'state_initializer_node': 'StateInitializerNode', 'pose_snn_node': 'PoseSnnNode',
            'skeleton_node': 'SkeletonNode', 'image_player': 'ImagePlayer',
            'image_classifier_node': 'ImageClassifierNode'}


def _node_type(name: str) -> type[Node]:
    return getattr(import_module(f'hybrid_perception.ros.nodes.{name}'), _CLASSES[name])


NODE_TYPES = tuple(_CLASSES)


def node_path(key: str) -> tuple[str, str]:
    """(namespace, node name) of a graph key: ``snn_node`` -> ('', 'snn_node'),
    ``/cam0/pose_snn_node`` -> ('/cam0', 'pose_snn_node')."""
    namespace, _, name = key.rpartition('/')
    return ('/' + namespace.strip('/') if namespace.strip('/') else ''), name


def graph_parameters(path: str | Path, overrides: list[str] = ()) -> dict[str, dict[str, Any]]:
    """``{node: {parameter: value}}`` of a parameter file, with ``node.name=value`` overrides
    (values parsed as YAML, so ``rate=0.0`` is a float and ``loop=true`` a bool)."""
    try:
        data = yaml.safe_load(Path(path).read_text())
    except (OSError, yaml.YAMLError) as err:
        raise HybridPerceptionError(f'cannot read graph file {path}: {err}') from err
    if not isinstance(data, dict):
        raise HybridPerceptionError(f'{path}: expected node names at the top level')
    graph = {}
    for key, section in data.items():
        if node_path(str(key))[1] not in NODE_TYPES:
            raise HybridPerceptionError(f'{path}: unknown node {key!r}; known: '
                                        f'{", ".join(NODE_TYPES)}')
        graph[str(key)] = dict((section or {}).get('ros__parameters') or {})
    for override in overrides:
        node, name, value = parse_override(override)
        # A bare name sets that node in every namespace (the rig's cameras alike), as /**/name
        # would in a parameter file; a fully qualified one sets that node alone.
        keys = [node] if node in graph else [] if '/' in node else \
            [k for k in graph if node_path(k)[1] == node]
        if not keys:
            raise HybridPerceptionError(f'override {override!r}: no node {node!r} in {path}')
        for key in keys:
            graph[key][name] = value
    return graph


def parse_override(text: str) -> tuple[str, str, Any]:
    key, sep, value = text.partition('=')
    node, dot, name = key.partition('.')
    if not sep or not dot or not node or not name:
        raise HybridPerceptionError(f'override {text!r} must look like node.parameter=value')
    return node, name, yaml.safe_load(value)


def start_graph(graph: dict[str, dict[str, Any]], *, namespace: str = '',
                context=None) -> list[Node]:
    """Build every node of ``graph``; one that refuses its parameters stops the lot."""
    nodes: list[Node] = []
    try:
        for key, parameters in graph.items():
            own_namespace, name = node_path(key)
            nodes.append(_node_type(name)(
                namespace=namespace + own_namespace, context=context,
                parameter_overrides=[Parameter(k, value=v) for k, v in parameters.items()]))
    except Exception as err:
        for node in nodes:
            stop_node(node)
        if isinstance(err, HybridPerceptionError):
            raise
        raise HybridPerceptionError(f'{key}: {err}') from err  # e.g. a parameter's type
    one_compute_thread()
    return nodes

