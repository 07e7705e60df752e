"""ros2 launch hybrid_perception gesture.launch.py [source:=rosbag path:=BAG] [model:=...]
    [snn_backend:=compiled|torch|lava] [ann_backend:=onnxruntime|torch] [rate:=1.0] [config:=FILE]

H1 on a robot: one process per node of config/gesture.yaml (the file `hybrid-perception run`
reads too), so the SNN side and the ANN side can run on different hosts (set ROS_DOMAIN_ID
alike and start the launch on each with the nodes it should run removed from its copy of the
YAML). The arguments override the YAML for the common cases.
"""

from hybrid_perception.ros.launch_graph import graph_launch_description

ARGUMENTS = {  # argument: (default, description, {node: parameter})
    'source': ('', 'dvs_driver source (synthetic | camera | file | aedat4 | rosbag); "" = YAML',
               {'dvs_driver': 'source'}),
    'path': ('', 'bag or file to replay', {'dvs_driver': 'path'}),
    'rate': ('', 'replay rate (1.0 real time)', {'dvs_driver': 'rate'}),
    'events_type': ('', 'point_cloud2 | event_packet (event_camera_msgs/EventPacket, as '
                        'metavision_driver and libcaer_driver publish)',
                    {'dvs_driver': 'events_type', 'snn_node': 'events_type'}),
    'model': ('', 'model folder or shipped name (gesture/hybrid | gesture/ann | gesture/snn | '
                  'gesture/converted)',
              {'snn_node': 'model', 'accumulator_node': 'model', 'ann_node': 'model'}),
    'snn_backend': ('', 'compiled | torch | lava', {'snn_node': 'backend'}),
    'ann_backend': ('', 'onnxruntime | torch', {'ann_node': 'backend'}),
}


def generate_launch_description():
    return graph_launch_description('gesture.yaml', ARGUMENTS)
