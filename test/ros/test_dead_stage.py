"""A dead stage is visible downstream: when the last publisher of a node's input goes away,
the node's /diagnostics turns WARN naming the topic and counts it, and turns OK again when a
publisher is back; a topic that never had one (a graph still starting) is not flagged."""

from __future__ import annotations

from support import spin_until


def test_an_input_that_loses_its_publisher_is_reported_until_one_returns(ros):
    import rclpy
    from diagnostic_msgs.msg import DiagnosticArray
    from rclpy.parameter import Parameter
    from sensor_msgs.msg import Image

    from hybrid_perception.ros.nodes.ann_node import AnnNode
    from hybrid_perception.ros.qos import RESULTS_QOS
    context, executor = ros
    node = AnnNode(context=context, parameter_overrides=[Parameter('model', value='gesture/ann')])
    executor.add_node(node)
    listener = rclpy.create_node('listener', context=context)
    statuses = []
    listener.create_subscription(
        DiagnosticArray, '/diagnostics',
        lambda m: statuses.extend(s for s in m.status if s.name.startswith('ann_node')),
        RESULTS_QOS)
    executor.add_node(listener)

    def latest(predicate, timeout_s=15.0):
        start = len(statuses)
        assert spin_until(executor, lambda: any(predicate(s) for s in statuses[start:]),
                          timeout_s), [(s.level, s.message) for s in statuses[-3:]]
        return next(s for s in statuses[start:] if predicate(s))

    waiting = latest(lambda s: s.level == b'\x00')
    assert waiting.message == 'waiting'                         # no publisher yet: not lost
    upstream = rclpy.create_node('accumulator_stand_in', context=context)
    upstream.create_publisher(Image, 'features', RESULTS_QOS)
    executor.add_node(upstream)
    assert spin_until(executor, lambda: node.count_publishers('/features') == 1)
    latest(lambda s: s.level == b'\x00')
    executor.remove_node(upstream)
    upstream.destroy_node()                                      # the stage stops
    lost = latest(lambda s: s.level == b'\x01')
    assert 'no publisher on /features' in lost.message
    assert {kv.key: kv.value for kv in lost.values}['lost_publishers'] == '1'
    again = rclpy.create_node('accumulator_restarted', context=context)
    again.create_publisher(Image, 'features', RESULTS_QOS)
    executor.add_node(again)
    back = latest(lambda s: s.level == b'\x00')
    assert {kv.key: kv.value for kv in back.values}['lost_publishers'] == '1'
