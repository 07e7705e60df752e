"""rviz2 cannot be installed here, so each config/*.rviz is checked against its graph started
for real: every display's topic has a publisher in the graph, of a type that display accepts,
and the fixed frame is one the graph stamps its messages with."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from support import spin_until

CONFIG = Path(__file__).resolve().parents[2] / 'config'
#: rviz_default_plugins display class -> the message type it subscribes
ACCEPTS = {'Image': 'sensor_msgs/msg/Image', 'MarkerArray': 'visualization_msgs/msg/MarkerArray',
           'Marker': 'visualization_msgs/msg/Marker', 'PoseArray': 'geometry_msgs/msg/PoseArray',
           'PointCloud2': 'sensor_msgs/msg/PointCloud2', 'Pose': 'geometry_msgs/msg/PoseStamped'}


def displays(rviz: Path) -> tuple[list[tuple[str, str]], str]:
    """((display class, topic) of every display with a topic, fixed frame)."""
    manager = yaml.safe_load(rviz.read_text())['Visualization Manager']
    found = [(d['Class'].rsplit('/', 1)[-1], d['Topic']['Value'])
             for d in manager['Displays'] if 'Topic' in d]
    return found, manager['Global Options']['Fixed Frame']


@pytest.mark.parametrize('name', ['gesture', 'pose', 'conversion'])
def test_every_rviz_display_shows_a_topic_its_graph_publishes(ros, name):
    import rclpy

    from hybrid_perception.ros.graph import graph_parameters, start_graph
    context, executor = ros
    shown, fixed_frame = displays(CONFIG / f'{name}.rviz')
    assert shown, f'{name}.rviz shows no topic'
    nodes = start_graph(graph_parameters(CONFIG / f'{name}.yaml'), context=context)
    for node in nodes:
        executor.add_node(node)
    probe = rclpy.create_node('rviz_probe', context=context)
    executor.add_node(probe)

    def published() -> dict[str, set[str]]:
        return {topic: set(types) for topic, types in probe.get_topic_names_and_types()
                if probe.get_publishers_info_by_topic(topic)}
    assert spin_until(executor, lambda: all(t in published() for _, t in shown), 20.0), \
        sorted(set(t for _, t in shown) - set(published()))
    topics = published()
    for display, topic in shown:
        assert display in ACCEPTS, f'{name}.rviz: no message type known for {display}'
        assert ACCEPTS[display] in topics[topic], (topic, topics[topic])
    frames = {node.get_parameter('frame_id').value for node in nodes
              if node.has_parameter('frame_id')}
    assert fixed_frame in frames, (fixed_frame, frames)
