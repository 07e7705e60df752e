"""Evaluation bags of people moving: two event cameras, their calibration, and pose truth.

A bag holds takes back to back on one sensor clock: the synthetic test people, or DHP19's test
recordings as recorded (``dataset pose --from dhp19:PATH``). Per camera
``/<cam>/events`` (PointCloud2) and ``/<cam>/camera_info`` (with K and P); the cameras' poses in
``/tf_static`` (world -> camera optical frame), as a calibrated rig publishes them; ground truth
as ``hybrid_perception_msgs/msg/Joints3D`` on ``/ground_truth/joints`` and ``Joints2D`` per view on
``/<cam>/ground_truth/joints``, every label period.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from hybrid_perception.datasets.people import MOVEMENTS, PeopleRenderer, PoseTake, people
from hybrid_perception.datasets.splits import round_robin
from hybrid_perception.errors import EventFormatError
from hybrid_perception.events.array import SensorSize, empty_events
from hybrid_perception.events.pointcloud import us_from_stamp
from hybrid_perception.geometry.cameras import Camera
from hybrid_perception.geometry.joints import JOINTS
from hybrid_perception.geometry.rig import camera_from_pose
from hybrid_perception.io.rosbag import CAMERA_INFO, EventBagWriter, typestore
from hybrid_perception.io.sources import packetize, read_packets

__all__ = ['JOINTS_2D', 'JOINTS_3D', 'PoseTruth', 'read_camera_packets', 'read_pose_truth',
           'write_pose_bag', 'write_takes_bag']

JOINTS_2D = 'hybrid_perception_msgs/msg/Joints2D'
JOINTS_3D = 'hybrid_perception_msgs/msg/Joints3D'
TF_MESSAGE = 'tf2_msgs/msg/TFMessage'
WORLD_FRAME = 'world'


@dataclass(frozen=True)
class PoseTruth:
    """What a pose bag says is true: the rig, and the joints at every label time.

    ``joints_3d`` (F, 13, 3) metres in the world frame; ``joints_2d[cam]`` (F, 13, 2) pixels.
    """

    cameras: tuple[Camera, ...]
    label_us: np.ndarray
    joints_3d: np.ndarray
    joints_2d: dict[str, np.ndarray]
    subjects: tuple[str, ...]
    movements: tuple[str, ...]


def write_pose_bag(path: str | Path, *, samples: int = 16, seed: int = 0,
                   take_us: int = 2_000_000, renderer: PeopleRenderer | None = None,
                   packet_period_us: int = 1000, storage: str = 'mcap',
                   progress: bool = False) -> int:
    """``samples`` takes of the synthetic test people; returns how many labels were written."""
    renderer = renderer or PeopleRenderer()
    jobs = tqdm(list(round_robin(people('test', seed), len(MOVEMENTS), samples)),
                desc='rendering takes', unit='take', disable=not progress)
    takes = ((f'test-{person.seed}',
              renderer.take(movement, person, take_us,
                            np.random.default_rng([seed, person.seed, movement, k])))
             for person, movement, k in jobs)
    return write_takes_bag(path, renderer.cameras, takes, packet_period_us=packet_period_us,
                           storage=storage)


def write_takes_bag(path: str | Path, cameras: tuple[Camera, ...],
                    takes: Iterable[tuple[str, PoseTake]], *, packet_period_us: int = 1000,
                    storage: str = 'mcap') -> int:
    """(subject, take) pairs seen by ``cameras`` (a take's views in their order), back to
    back on one clock a label period apart, with the rig and the truth; returns how many
    labels were written. Takes are written as they come, so only one is ever in memory."""
    first, *others = cameras
    labels, start = 0, 0
    with EventBagWriter(path, first.sensor, storage=storage, topic=f'/{first.name}/events',
                        camera_info_topic=f'/{first.name}/camera_info', frame_id=first.name,
                        intrinsics=first.K) as writer:
        for camera in others:
            writer.add_camera(f'/{camera.name}/events', camera.sensor, frame_id=camera.name,
                              camera_info_topic=f'/{camera.name}/camera_info',
                              intrinsics=camera.K)
        writer.write_message('/tf_static', TF_MESSAGE, _rig_transforms(writer, cameras), 0)
        for subject, take in takes:
            for f, t_us in enumerate(take.label_us + start):
                _write_truth(writer, cameras, take.joints_3d[f], take.joints_2d[:, f],
                             int(t_us), subject, take.movement)
            labels += take.label_us.size
            for camera, events in zip(cameras, take.events, strict=True):
                events = events.copy()
                events['timestamp'] += start
                for stamp, packet in packetize([events], packet_period_us):
                    writer.write(packet, stamp, topic=f'/{camera.name}/events')
            period = int(take.label_us[1] - take.label_us[0]) if take.label_us.size > 1 else 0
            ends = [int(take.label_us[-1])] + [int(e['timestamp'][-1]) for e in take.events
                                               if e.size]
            start += max(ends) + period
    return labels


def _rig_transforms(writer: EventBagWriter, cameras: tuple[Camera, ...]):
    """world -> each camera's optical frame: where it is and which way its axes point."""
    types = writer.types
    transforms = []
    for camera in cameras:
        centre, rotation = camera.pose_in_world()
        x, y, z, w = map(float, rotation)
        transforms.append(types['geometry_msgs/msg/TransformStamped'](
            header=writer.header(0, WORLD_FRAME), child_frame_id=camera.name,
            transform=types['geometry_msgs/msg/Transform'](
                translation=types['geometry_msgs/msg/Vector3'](*map(float, centre)),
                rotation=types['geometry_msgs/msg/Quaternion'](x=x, y=y, z=z, w=w))))
    return types[TF_MESSAGE](transforms=transforms)


def _write_truth(writer: EventBagWriter, cameras: tuple[Camera, ...], joints_3d: np.ndarray,
                 joints_2d: np.ndarray, stamp_us: int, subject: str, movement: str) -> None:
    types = writer.types
    point = types['geometry_msgs/msg/Point']
    writer.write_message('/ground_truth/joints', JOINTS_3D, types[JOINTS_3D](
        header=writer.header(stamp_us, WORLD_FRAME), names=list(JOINTS),
        positions=[point(*map(float, p)) for p in joints_3d], subject=subject,
        movement=movement), stamp_us)
    for camera, pixels in zip(cameras, joints_2d, strict=True):
        writer.write_message(f'/{camera.name}/ground_truth/joints', JOINTS_2D, types[JOINTS_2D](
            header=writer.header(stamp_us, camera.name), names=list(JOINTS),
            u=pixels[:, 0].astype(np.float32), v=pixels[:, 1].astype(np.float32),
            subject=subject, movement=movement), stamp_us)


def read_pose_truth(path: str | Path) -> PoseTruth:
    """The rig and the ground truth of a pose bag (any bag with our Joints topics and a
    calibrated rig: CameraInfo K per camera, poses in /tf_static)."""
    from rosbags.rosbag2 import Reader
    store = typestore()
    try:
        with Reader(Path(path)) as reader:
            by_topic = {c.topic: c for c in reader.connections}

            def messages(topic: str, msgtype: str) -> list:
                if topic not in by_topic or by_topic[topic].msgtype != msgtype:
                    raise EventFormatError(f'{path}: no {msgtype} on {topic}')
                return [store.deserialize_cdr(raw, msgtype) for _, _, raw in
                        reader.messages(connections=[by_topic[topic]])]

            poses = {t.child_frame_id: t.transform for m in messages('/tf_static', TF_MESSAGE)
                     for t in m.transforms}
            cameras = tuple(_camera(name, messages(f'/{name}/camera_info', CAMERA_INFO)[0],
                                    poses[name]) for name in sorted(poses))
            truth = messages('/ground_truth/joints', JOINTS_3D)
            views = {c.name: messages(f'/{c.name}/ground_truth/joints', JOINTS_2D)
                     for c in cameras}
    except EventFormatError:
        raise
    except Exception as err:  # rosbags' own errors on a missing or corrupt bag
        raise EventFormatError(f'{path}: cannot read pose ground truth: {err}') from err
    return PoseTruth(
        cameras=cameras,
        label_us=np.array([us_from_stamp(m.header.stamp.sec, m.header.stamp.nanosec)
                           for m in truth], np.int64),
        joints_3d=np.array([[[p.x, p.y, p.z] for p in m.positions] for m in truth]),
        joints_2d={name: np.array([np.stack([m.u, m.v], -1) for m in view], np.float64)
                   for name, view in views.items()},
        subjects=tuple(m.subject for m in truth), movements=tuple(m.movement for m in truth))


def _camera(name: str, info, transform) -> Camera:
    """A Camera from a CameraInfo (K) and the world -> optical frame transform."""
    t, q = transform.translation, transform.rotation
    try:
        return camera_from_pose(name, SensorSize(int(info.width), int(info.height)), info.k,
                                [t.x, t.y, t.z], [q.x, q.y, q.z, q.w])
    except ValueError as err:
        raise EventFormatError(str(err)) from err


def read_camera_packets(path: str | Path, cameras: list[str], packet_us: int
                        ) -> dict[str, list[tuple[int, np.ndarray]]]:
    """Each camera's events (``/<camera>/events``) as packets, and one empty packet 100 ms (a
    step at any rate) after the last: a live stream goes on, and the nodes close a step only
    once it is past its end."""
    packets = {camera: read_packets(path, f'/{camera}/events', packet_us) for camera in cameras}
    end = max(stamp for part in packets.values() for stamp, _ in part[-1:]) + 100_000
    for part in packets.values():
        part.append((end, empty_events()))
    return packets
