"""skeleton_node: the views' 2D ``pose`` -> the triangulated 3D ``pose`` and what rviz shows.

Each view's pose_snn_node publishes ``<view>/pose`` in its pixels at every step; the poses of
one step (equal stamps) are triangulated with the rig's calibration into ``pose`` (PoseArray,
metres) and ``markers`` (the skeleton's bones and joints), in ``frame_id``: a camera's optical
frame (the first view's by default), or ``world``, the rig's z-up frame that rviz's orbiting
views expect. Either way rviz needs no tf to show it, with that frame as its fixed frame.
Each view's ``event_frame`` comes back as ``<view>/skeleton_frame`` with the view's latest 2D
skeleton drawn over it. A view's joint whose confidence (the 2D pose's z) is below
``min_joint_confidence`` counts as not seen by that view: it is not drawn, and a joint seen by
fewer than two views is left out of the 3D pose (NaN) and of the markers.
"""

from __future__ import annotations

import numpy as np
from builtin_interfaces.msg import Duration
from diagnostic_msgs.msg import DiagnosticArray
from geometry_msgs.msg import Point, PoseArray
from rclpy.node import Node
from sensor_msgs.msg import Image
from std_msgs.msg import ColorRGBA
from visualization_msgs.msg import Marker, MarkerArray

from hybrid_perception.datasets.people import default_cameras
from hybrid_perception.errors import DataFormatError, HybridPerceptionError
from hybrid_perception.geometry.joints import BONES, N_JOINTS
from hybrid_perception.geometry.rig import load_rig
from hybrid_perception.geometry.views import ViewSync, triangulate_views
from hybrid_perception.hybrid.pose.evidence import MIN_JOINT_CONFIDENCE
from hybrid_perception.ros.conversions import (
    header,
    image_to_matrix,
    matrix_to_image,
    pose_array_bytes,
    read_pose_array,
    stamp_us,
)
from hybrid_perception.ros.diagnostics import InputHealth, diagnostics
from hybrid_perception.ros.entry import run_node
from hybrid_perception.ros.parameters import declare_parameters
from hybrid_perception.ros.qos import RESULTS_QOS
from hybrid_perception.sim.drawing import draw_skeleton

PARAMETERS = {
    'views': (['cam0', 'cam1'], 'cameras whose 2D poses are triangulated (names in the rig)'),
    'pose_topic': ('pose', 'each view\'s 2D pose, under <view>/ (ann/pose: the ANN baseline\'s)'),
    'rig': ('synthetic', 'camera rig YAML (hybrid_perception.geometry.rig), or synthetic: the rig '
                         'of `hybrid-perception dataset pose`'),
    'frame_id': ('', 'frame of the 3D pose and markers: a view\'s optical frame ("" = the '
                     'first view\'s) or world (the rig\'s)'),
    'keep': (50, 'steps to wait for every view\'s pose of a step before giving it up'),
    'min_joint_confidence': (MIN_JOINT_CONFIDENCE, 'a view\'s joint less confident than this '
                                                   '(its z) is not used (0: every joint)'),
}

WORLD = 'world'
SKELETON_BGR = (40, 220, 255)           # amber over the red/blue event frame
SKELETON_RGBA = ColorRGBA(r=1.0, g=0.85, b=0.15, a=1.0)


class SkeletonNode(Node):
    def __init__(self, **kwargs) -> None:
        super().__init__('skeleton_node', **kwargs)
        self.p = p = declare_parameters(self, PARAMETERS)
        rig = default_cameras() if p['rig'] == 'synthetic' else load_rig(p['rig'])
        self.cameras = {c.name: c for c in rig}
        views = tuple(p['views'])
        missing = [v for v in views if v not in self.cameras]
        if missing:
            raise HybridPerceptionError(f'views {missing} are not in the rig '
                                        f'({", ".join(self.cameras)})')
        self.frame_id = p['frame_id'] or views[0]
        if self.frame_id not in (*self.cameras, WORLD):
            raise HybridPerceptionError(f'frame_id {self.frame_id!r} is neither {WORLD} nor a '
                                        f'camera of the rig')
        try:
            self.sync = ViewSync(views, int(p['keep']))
        except ValueError as err:
            raise HybridPerceptionError(f'views: {err}') from err
        self.latest: dict[str, np.ndarray] = {}
        self.stats = {'poses_3d': 0, 'frames_drawn': 0}
        self.health = InputHealth(self)
        self.pose_pub = self.create_publisher(PoseArray, 'pose', RESULTS_QOS)
        self.marker_pub = self.create_publisher(MarkerArray, 'markers', RESULTS_QOS)
        self.diag_pub = self.create_publisher(DiagnosticArray, '/diagnostics', RESULTS_QOS)
        self.frame_pubs = {}
        for view in views:
            self.health.subscribe(PoseArray, f'{view}/{p["pose_topic"]}',
                                  lambda raw, v=view: self._on_pose(v, raw), RESULTS_QOS,
                                  raw=True)
            self.health.subscribe(Image, f'{view}/event_frame',
                                  lambda msg, v=view: self._on_frame(v, msg), RESULTS_QOS)
            self.frame_pubs[view] = self.create_publisher(Image, f'{view}/skeleton_frame',
                                                          RESULTS_QOS)
        self.create_timer(1.0, self._publish_diagnostics)
        self.get_logger().info(f'triangulating {", ".join(views)} into {self.frame_id} '
                               f'({"synthetic rig" if p["rig"] == "synthetic" else p["rig"]})')

    def _on_pose(self, view: str, raw: bytes) -> None:
        try:
            stamp, _, points = read_pose_array(raw)
        except DataFormatError as err:
            self.health.bad(f'{view}/{self.p["pose_topic"]}: {err}')
            return
        if len(points) != N_JOINTS or not np.isfinite(points).all():
            self.health.bad(f'{view}/{self.p["pose_topic"]}: expected {N_JOINTS} finite '
                            f'joints, got {len(points)}')
            return
        points = np.where(points[:, 2:] >= self.p['min_joint_confidence'], points[:, :2], np.nan)
        self.latest[view] = points
        poses = self.sync.add(view, stamp, points)
        if poses is None:
            return
        joints = triangulate_views(self.cameras, poses, self.cameras.get(self.frame_id))
        self.pose_pub.publish(pose_array_bytes(joints, stamp, self.frame_id))
        self.marker_pub.publish(skeleton_markers(joints, stamp, self.frame_id))
        self.stats['poses_3d'] += 1

    def _on_frame(self, view: str, msg: Image) -> None:
        if view not in self.latest:
            return
        try:
            image = image_to_matrix(msg, 'bgr8')
        except ValueError as err:
            self.health.bad(f'{view}/event_frame: {err}')
            return
        draw_skeleton(image, self.latest[view], BONES, SKELETON_BGR)
        self.frame_pubs[view].publish(matrix_to_image(image, 'bgr8', stamp_us(msg.header),
                                                      msg.header.frame_id))
        self.stats['frames_drawn'] += 1

    def _publish_diagnostics(self) -> None:
        level, message = self.health.status(self.stats['poses_3d'] > 0)
        values = {**self.stats, 'incomplete_steps': self.sync.incomplete,
                  'late_poses': self.sync.late, **self.health.figures()}
        self.diag_pub.publish(diagnostics(self, 'skeleton', level, message, 'host', values))


def skeleton_markers(joints: np.ndarray, t_us: int, frame_id: str) -> MarkerArray:
    """Bones as one LINE_LIST and joints as one SPHERE_LIST; a joint that could not be
    triangulated (NaN) is left out with its bones. Markers expire so a stopped graph does not
    leave a frozen skeleton behind."""
    known = np.isfinite(joints).all(axis=1)
    stamp = header(t_us, frame_id)
    bones = Marker(header=stamp, ns='skeleton', id=0, type=Marker.LINE_LIST,
                   action=Marker.ADD, lifetime=Duration(nanosec=500_000_000))
    bones.scale.x = 0.03
    bones.color = SKELETON_RGBA
    bones.pose.orientation.w = 1.0
    bones.points = [Point(x=float(p[0]), y=float(p[1]), z=float(p[2]))
                    for a, b in BONES if known[a] and known[b] for p in (joints[a], joints[b])]
    spheres = Marker(header=stamp, ns='skeleton', id=1, type=Marker.SPHERE_LIST,
                     action=Marker.ADD, lifetime=Duration(nanosec=500_000_000))
    spheres.scale.x = spheres.scale.y = spheres.scale.z = 0.07
    spheres.color = SKELETON_RGBA
    spheres.pose.orientation.w = 1.0
    spheres.points = [Point(x=float(p[0]), y=float(p[1]), z=float(p[2])) for p in joints[known]]
    return MarkerArray(markers=[bones, spheres])


def main(args=None) -> None:
    run_node(SkeletonNode, 'skeleton_node', args)


if __name__ == '__main__':
    main()
