"""ros2 launch hybrid_perception conversion.launch.py [model:=...] [network:=snn|ann]
    [backend:=compiled|torch|lava] [steps:=N] [source:=digits|bag path:=BAG] [config:=FILE]

H3 on a robot: one process per node of config/conversion.yaml (the file `hybrid-perception
run` reads too). With a camera, remap its image topic onto `image` and drop image_player from
your copy of the YAML. The arguments override the YAML for the common cases.
"""

from hybrid_perception.ros.launch_graph import graph_launch_description

ARGUMENTS = {  # argument: (default, description, {node: parameter})
    'source': ('', 'image_player source (digits | bag); "" = YAML', {'image_player': 'source'}),
    'path': ('', 'bag to play (source bag)', {'image_player': 'path'}),
    'rate_hz': ('', 'images per second', {'image_player': 'rate_hz'}),
    'model': ('', 'converted model folder or shipped name (digits)',
              {'image_classifier_node': 'model'}),
    'network': ('', 'snn | ann', {'image_classifier_node': 'network'}),
    'backend': ('', 'compiled | torch | lava', {'image_classifier_node': 'backend'}),
    'steps': ('', 'time steps per image (0 = the model\'s)', {'image_classifier_node': 'steps'}),
}


def generate_launch_description():
    return graph_launch_description('conversion.yaml', ARGUMENTS)
