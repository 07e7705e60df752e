"""skeleton_node over real DDS: the views' poses come back as the true 3D skeleton, drawn
frames and markers, without the joints a view is not confident of; bad input is counted and a
bad rig refused."""

from __future__ import annotations

import numpy as np
import pytest
from support import pose_array, pose_points, spin_until

from hybrid_perception.datasets.people import default_cameras
from hybrid_perception.errors import HybridPerceptionError
from hybrid_perception.geometry.joints import N_JOINTS

CAMERAS = default_cameras()


def skeletons(count: int, rng) -> np.ndarray:
    """(count, 13, 3) world joints of someone standing near the origin, 1.8 m tall at most."""
    return rng.uniform([-0.4, -0.3, 0.0], [0.4, 0.3, 1.8], (count, N_JOINTS, 3))


class Views:
    def __init__(self, context, executor):
        import rclpy
        from geometry_msgs.msg import PoseArray
        from sensor_msgs.msg import Image
        from visualization_msgs.msg import MarkerArray

        from hybrid_perception.ros.qos import RESULTS_QOS
        self.node = rclpy.create_node('views', context=context)
        self.pose = {c.name: self.node.create_publisher(PoseArray, f'{c.name}/pose', RESULTS_QOS)
                     for c in CAMERAS}
        self.frame = self.node.create_publisher(Image, 'cam1/event_frame', RESULTS_QOS)
        self.poses_3d, self.markers, self.drawn = {}, [], []
        self.node.create_subscription(PoseArray, 'pose', self._on_pose, RESULTS_QOS)
        self.node.create_subscription(MarkerArray, 'markers', self.markers.append, RESULTS_QOS)
        self.node.create_subscription(Image, 'cam1/skeleton_frame', self.drawn.append,
                                      RESULTS_QOS)
        executor.add_node(self.node)

    def _on_pose(self, msg) -> None:
        from hybrid_perception.ros.conversions import stamp_us
        self.poses_3d[stamp_us(msg.header)] = (msg.header.frame_id, pose_points(msg))


def start(context, executor, **parameters):
    from rclpy.parameter import Parameter

    from hybrid_perception.ros.nodes.skeleton_node import SkeletonNode
    node = SkeletonNode(context=context, parameter_overrides=[
        Parameter(k, value=v) for k, v in parameters.items()])
    executor.add_node(node)
    return node


@pytest.mark.parametrize('frame_id', ['cam1', 'world'])
def test_views_become_the_true_3d_skeleton_in_the_frame_asked(ros, rng, tmp_path, frame_id):
    from hybrid_perception.geometry.rig import save_rig
    from hybrid_perception.ros.conversions import matrix_to_image
    context, executor = ros
    views = Views(context, executor)
    node = start(context, executor, rig=str(save_rig(tmp_path / 'rig.yaml', CAMERAS)),
                 frame_id=frame_id)
    assert spin_until(executor, lambda: views.pose['cam1'].get_subscription_count() >= 1)
    truth = skeletons(3, rng)
    stamps = [10_000, 20_000, 30_000]
    # the last step's head is below the default confidence (0.5) in cam0: seen by one view only
    confidence = np.ones((len(CAMERAS), len(stamps), N_JOINTS))
    confidence[0, 2, 0] = 0.49
    for camera in reversed(CAMERAS):                # the views' order of arrival does not matter
        for k, (stamp, joints) in enumerate(zip(stamps, truth, strict=True)):
            seen = np.column_stack([camera.project(joints),
                                    confidence[CAMERAS.index(camera), k]])
            views.pose[camera.name].publish(pose_array(seen, stamp, camera.name))
    views.pose['cam0'].publish(pose_array(np.zeros((5, 2)), 40_000, 'cam0'))
    assert spin_until(executor, lambda: len(views.poses_3d) == 3 and len(views.markers) == 3)
    for stamp, joints in zip(stamps, truth, strict=True):
        frame, points = views.poses_3d[stamp]
        assert frame == frame_id
        expected = joints if frame_id == 'world' else CAMERAS[1].to_camera(joints)
        if stamp == stamps[-1]:
            assert np.isnan(points[0]).all()
            points, expected = points[1:], expected[1:]
        np.testing.assert_allclose(points, expected, atol=1e-6)
    bones, spheres = views.markers[-1].markers       # the last step's: no head, nor its bones
    assert len(bones.points) == 24 and len(spheres.points) == N_JOINTS - 1
    bones, spheres = views.markers[-2].markers
    assert len(bones.points) == 28 and len(spheres.points) == N_JOINTS
    assert bones.header.frame_id == frame_id
    assert spin_until(executor, lambda: node.health.bad_messages == 1)

    frame = np.zeros((128, 128, 3), np.uint8)
    views.frame.publish(matrix_to_image(frame, 'bgr8', 30_000, 'cam1'))
    assert spin_until(executor, lambda: len(views.drawn) == 1)
    from hybrid_perception.ros.conversions import image_to_matrix
    drawn = image_to_matrix(views.drawn[0], 'bgr8')
    head = np.round(CAMERAS[1].project(truth[-1])[0]).astype(int)
    assert (drawn[head[1], head[0]] > 0).all() and drawn.sum() > 0
    assert (drawn[head[1], head[0]] == (40, 220, 255)).all()
    views.frame.publish(matrix_to_image(np.zeros((4, 4)), 'mono8', 40_000, 'cam1'))
    assert spin_until(executor, lambda: node.health.bad_messages == 2)
    assert 'cam1/event_frame: expected a bgr8 image' in node.health.last_error


def test_a_rig_without_the_views_or_unreadable_is_refused(ros, tmp_path):
    context, executor = ros
    with pytest.raises(HybridPerceptionError, match='neither world'):
        start(context, executor, frame_id='base_link')
    with pytest.raises(HybridPerceptionError, match='not in the rig'):
        start(context, executor, views=['cam0', 'cam7'])
    (tmp_path / 'rig.yaml').write_text('cameras: {cam0: {width: 128}}')
    with pytest.raises(HybridPerceptionError, match='cannot read camera rig'):
        start(context, executor, rig=str(tmp_path / 'rig.yaml'))
