"""The body every ``launch/<graph>.launch.py`` shares: one process per node of a graph YAML.

A launch file names its YAML and the launch arguments it offers (``{argument: (default,
description, {node: parameter})}``); an argument given on the command line overrides that
parameter of the node in every namespace (all cameras alike), as ``hybrid-perception run
--set node.parameter=value`` does. Every graph also takes ``events_topic`` (where its nodes
read events: a stock driver's topic, relative to each camera's namespace) and ``driver``
(``false``: no dvs_driver, a stock driver publishes). Imports of ``launch`` stay inside the
functions: it exists only where a system ROS 2 is installed.
"""

from __future__ import annotations

import os
from typing import Any

import yaml

from hybrid_perception.ros.graph import node_path

__all__ = ['COMMON_ARGUMENTS', 'graph_launch_description', 'launched_nodes']

Arguments = dict[str, tuple[str, str, dict[str, str]]]
#: arguments of every graph: (default, description)
COMMON_ARGUMENTS = {
    'events_topic': ('', 'topic the nodes read events from, e.g. event_camera/events '
                         '(metavision_driver, libcaer_driver; relative: in each camera\'s '
                         'namespace); "" = the graph\'s own driver'),
    'driver': ('true', 'false: start no dvs_driver (a stock driver publishes the events)'),
}


def graph_launch_description(config_name: str, arguments: Arguments):
    from ament_index_python.packages import get_package_share_directory
    from launch.actions import DeclareLaunchArgument, OpaqueFunction

    from launch import LaunchDescription
    default_config = os.path.join(get_package_share_directory('hybrid_perception'), 'config',
                                  config_name)
    return LaunchDescription([
        DeclareLaunchArgument('config', default_value=default_config,
                              description='graph YAML (node sections of parameters)'),
        *[DeclareLaunchArgument(name, default_value=default, description=description)
          for name, (default, description) in COMMON_ARGUMENTS.items()],
        *[DeclareLaunchArgument(name, default_value=default, description=description)
          for name, (default, description, _) in arguments.items()],
        OpaqueFunction(function=_nodes, kwargs={'arguments': arguments}),
    ])


def _nodes(context, *, arguments: Arguments):
    from launch.substitutions import LaunchConfiguration
    from launch_ros.actions import Node

    config = LaunchConfiguration('config').perform(context)
    with open(config) as f:
        graph = yaml.safe_load(f)
    given = {argument: LaunchConfiguration(argument).perform(context)
             for argument in [*arguments, *COMMON_ARGUMENTS]}
    return [Node(package='hybrid_perception', executable=name, name=name,
                 namespace=namespace or None, output='screen', parameters=[config, overrides],
                 remappings=remappings)
            for namespace, name, overrides, remappings in launched_nodes(graph, given,
                                                                         arguments)]


def launched_nodes(graph: dict, given: dict[str, str], arguments: Arguments
                   ) -> list[tuple[str, str, dict[str, Any], list[tuple[str, str]]]]:
    """(namespace, node name, parameter overrides, remappings) of each node of a loaded graph
    YAML, from the launch arguments given (an empty one leaves the YAML's value)."""
    nodes = []
    for key, section in graph.items():
        namespace, name = node_path(key)
        if name == 'dvs_driver' and given.get('driver', 'true').lower() == 'false':
            continue
        remappings = ([('events', given['events_topic'])]
                      if given.get('events_topic') and name != 'dvs_driver' else [])
        values = (section or {}).get('ros__parameters') or {}
        overrides = {targets[name]: _typed(given[argument], values.get(targets[name]))
                     for argument, (_, _, targets) in arguments.items()
                     if given.get(argument) and name in targets}
        nodes.append((namespace, name, overrides, remappings))
    return nodes


def _typed(text: str, like: Any) -> Any:
    """An argument's text as the type the YAML gives the parameter (launch arguments are
    strings; a parameter declared a double refuses one, or an integer)."""
    if isinstance(like, str) or like is None:
        return text
    value = yaml.safe_load(text)
    return float(value) if isinstance(like, float) and type(value) is int else value
