"""ros2 launch hybrid_perception gesture.launch.py [source:=rosbag path:=BAG] [model:=...]
    [snn_backend:=torch|lava] [ann_backend:=onnxruntime|torch] [rate:=1.0] [config:=FILE]

H1 on a robot: one process per node of config/gesture.yaml (the file `hybrid-perception run`
reads too), so the SNN side and the ANN side can run on different hosts (set ROS_DOMAIN_ID
alike and start the launch on each with the nodes it should run removed from its copy of the
YAML). The arguments override the YAML for the common cases.
"""

import os

import yaml
from ament_index_python.packages import get_package_share_directory
from launch.actions import DeclareLaunchArgument, OpaqueFunction
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import Node

from launch import LaunchDescription

ARGUMENTS = {  # argument: (default, description, {node: parameter})
    'source': ('', 'dvs_driver source (synthetic | camera | aedat4 | rosbag); "" = YAML',
               {'dvs_driver': 'source'}),
    'path': ('', 'bag or file to replay', {'dvs_driver': 'path'}),
    'rate': ('', 'replay rate (1.0 real time)', {'dvs_driver': 'rate'}),
    'model': ('', 'model folder or shipped name (gesture/hybrid | gesture/ann | gesture/snn)',
              {'snn_node': 'model', 'accumulator_node': 'model', 'ann_node': 'model'}),
    'snn_backend': ('', 'torch | lava', {'snn_node': 'backend'}),
    'ann_backend': ('', 'onnxruntime | torch', {'ann_node': 'backend'}),
}


def _nodes(context, *, config_arg: str):
    config = LaunchConfiguration(config_arg).perform(context)
    with open(config) as f:
        graph = yaml.safe_load(f)
    nodes = []
    for name in graph:
        overrides = {}
        for argument, (_, _, targets) in ARGUMENTS.items():
            value = LaunchConfiguration(argument).perform(context)
            if value and name in targets:
                overrides[targets[name]] = yaml.safe_load(value) if argument == 'rate' \
                    else value
        nodes.append(Node(package='hybrid_perception', executable=name, name=name,
                          output='screen', parameters=[config, overrides]))
    return nodes


def generate_launch_description() -> LaunchDescription:
    default_config = os.path.join(get_package_share_directory('hybrid_perception'), 'config',
                                  'gesture.yaml')
    return LaunchDescription([
        DeclareLaunchArgument('config', default_value=default_config,
                              description='graph YAML (node sections of parameters)'),
        *[DeclareLaunchArgument(name, default_value=default, description=description)
          for name, (default, description, _) in ARGUMENTS.items()],
        OpaqueFunction(function=_nodes, kwargs={'config_arg': 'config'}),
    ])
