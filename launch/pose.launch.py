"""ros2 launch hybrid_perception pose.launch.py path:=BAG [model:=...] [snn:=hybrid|alone]
    [snn_backend:=compiled|torch|lava] [ann_backend:=onnxruntime|torch] [init_rate_hz:=10.0]
    [rig:=RIG.yaml] [rate:=1.0] [config:=FILE]

H2 on a robot: one process per node of config/pose.yaml (the file `hybrid-perception run`
reads too): per camera a driver, the ANN initializer (the Jetson side) and the pose SNN (the
Loihi side) in the camera's namespace, and skeleton_node joining the views into the 3D pose
and rviz markers. With live cameras, set source:=camera and each driver's camera_serial in a
copy of the YAML. `rviz2 -d $(ros2 pkg prefix hybrid_perception)/share/hybrid_perception/
config/pose.rviz` shows it.
"""

from hybrid_perception.ros.launch_graph import graph_launch_description

ARGUMENTS = {  # argument: (default, description, {node: parameter}), every camera alike
    'source': ('', 'dvs_driver source (camera | rosbag | ...); "" = YAML',
               {'dvs_driver': 'source'}),
    'path': ('', 'bag to replay (of `hybrid-perception dataset pose`)', {'dvs_driver': 'path'}),
    'rate': ('', 'replay rate (1.0 real time)', {'dvs_driver': 'rate'}),
    'events_type': ('', 'point_cloud2 | event_packet (event_camera_msgs/EventPacket, as '
                        'metavision_driver and libcaer_driver publish)',
                    {'dvs_driver': 'events_type', 'state_initializer_node': 'events_type',
                     'pose_snn_node': 'events_type'}),
    'model': ('', 'pose model folder, or the shipped one (pose)',
              {'state_initializer_node': 'model', 'pose_snn_node': 'model'}),
    'snn': ('', 'hybrid | alone (the SNN-alone baseline)', {'pose_snn_node': 'snn'}),
    'snn_backend': ('', 'compiled | torch | lava', {'pose_snn_node': 'backend'}),
    'ann_backend': ('', 'onnxruntime | torch', {'state_initializer_node': 'backend'}),
    'init_rate_hz': ('', 'initializations per second (the SNN rate = the ANN baseline)',
                     {'state_initializer_node': 'rate_hz'}),
    'rig': ('', 'camera rig YAML; "" = the YAML\'s (synthetic)', {'skeleton_node': 'rig'}),
}


def generate_launch_description():
    return graph_launch_description('pose.yaml', ARGUMENTS)
