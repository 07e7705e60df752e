"""ros2 launch hybrid_perception dvs_driver.launch.py [config:=FILE] [source:=...] [path:=...]

Starts the event camera driver with config/dvs_driver.yaml; `source` and `path` override the
file for the common case of replaying a recording.
"""

import os

from ament_index_python.packages import get_package_share_directory
from launch.actions import DeclareLaunchArgument
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import Node

from launch import LaunchDescription


def generate_launch_description() -> LaunchDescription:
    default_config = os.path.join(get_package_share_directory('hybrid_perception'), 'config',
                                  'dvs_driver.yaml')
    return LaunchDescription([
        DeclareLaunchArgument('config', default_value=default_config,
                              description='parameter YAML of the driver'),
        DeclareLaunchArgument('source', default_value='synthetic',
                              description='synthetic | camera | file (any recording) | '
                                          'aedat4 | rosbag'),
        DeclareLaunchArgument('path', default_value='', description='file or bag to replay'),
        Node(package='hybrid_perception', executable='dvs_driver', name='dvs_driver',
             output='screen',
             parameters=[LaunchConfiguration('config'),
                         {'source': LaunchConfiguration('source'),
                          'path': LaunchConfiguration('path')}]),
    ])
