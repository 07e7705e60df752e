"""The replayer of `evaluate` publishes a bag's ground truth live, in the compiled message
type, among the events and at each gesture's start."""

from __future__ import annotations

import numpy as np
from support import spin_until

from hybrid_perception.datasets.gesture_bag import LabelSpan
from hybrid_perception.events.array import make_events


def test_ground_truth_goes_out_live_as_gesture_labels(ros):
    import rclpy
    from sensor_msgs.msg import PointCloud2

    from hybrid_perception.ros.conversions import stamp_us
    from hybrid_perception.ros.qos import RESULTS_QOS, stream_qos
    from hybrid_perception.ros.tools.live_evaluation import GestureReplayer, play
    from hybrid_perception_msgs.msg import GestureLabel
    context, executor = ros
    packets = [(k * 1000, make_events([k * 1000], [k % 128], [0], [1])) for k in range(300)]
    truth = [LabelSpan(20_000, 120_000, 5, 'left_hand_wave', 'user24'),
             LabelSpan(150_000, 290_000, 0, 'hand_clapping', 'user25')]
    probe = rclpy.create_node('probe', context=context)
    heard, events = [], []
    probe.create_subscription(GestureLabel, 'ground_truth', heard.append, RESULTS_QOS)
    probe.create_subscription(PointCloud2, 'events', events.append,
                              stream_qos('reliable', live=False))
    executor.add_node(probe)
    replayer = GestureReplayer(packets, 40_000, rate=0.0, truth=truth, context=context)
    spin_until(executor, lambda: replayer.message_publishers['ground_truth']
               .get_subscription_count() >= 1, 10.0)
    play(executor, replayer, 1, 'replaying')
    assert spin_until(executor, lambda: len(heard) == 2 and len(events) == 300, 10.0)
    assert [(stamp_us(m.header), m.end.sec * 10**6 + m.end.nanosec // 1000, m.label, m.name,
             m.subject) for m in heard] == [(s.start_us, s.end_us, s.label, s.name, s.subject)
                                             for s in truth]
    assert np.all(np.diff([stamp_us(m.header) for m in events]) > 0)


def test_pose_ground_truth_goes_out_live_per_camera_and_in_the_world(ros):
    import rclpy

    from hybrid_perception.datasets.pose_bag import PoseTruth
    from hybrid_perception.ros.conversions import stamp_us
    from hybrid_perception.ros.qos import RESULTS_QOS
    from hybrid_perception.ros.tools.live_evaluation import PoseReplayer, play
    from hybrid_perception_msgs.msg import Joints2D, Joints3D
    context, executor = ros
    rng = np.random.default_rng(0)
    label_us = np.arange(10_000, 100_001, 10_000)
    truth = PoseTruth(cameras=(), label_us=label_us,
                      joints_3d=rng.normal(size=(label_us.size, 13, 3)),
                      joints_2d={'cam0': rng.uniform(0, 128, (label_us.size, 13, 2))},
                      subjects=('s13',) * label_us.size, movements=('squat',) * label_us.size)
    packets = {'cam0': [(k * 1000, make_events([k * 1000], [1], [1], [1])) for k in range(120)]}
    probe = rclpy.create_node('probe', context=context)
    world, view = [], []
    probe.create_subscription(Joints3D, 'ground_truth/joints', world.append, RESULTS_QOS)
    probe.create_subscription(Joints2D, 'cam0/ground_truth/joints', view.append, RESULTS_QOS)
    executor.add_node(probe)
    replayer = PoseReplayer(packets, {}, rate=0.0, truth=truth, context=context)
    spin_until(executor, lambda: all(p.get_subscription_count() >= 1
                                     for p in replayer.message_publishers.values()), 10.0)
    play(executor, replayer, 0, 'replaying')
    assert spin_until(executor, lambda: len(world) == len(view) == label_us.size, 10.0)
    assert [stamp_us(m.header) for m in world] == label_us.tolist()
    assert world[0].header.frame_id == 'world' and view[0].header.frame_id == 'cam0'
    np.testing.assert_allclose([[[p.x, p.y, p.z] for p in m.positions] for m in world],
                               truth.joints_3d)
    np.testing.assert_allclose([np.stack([m.u, m.v], -1) for m in view],
                               truth.joints_2d['cam0'], rtol=1e-6)
    assert {(m.subject, m.movement) for m in world + view} == {('s13', 'squat')}
