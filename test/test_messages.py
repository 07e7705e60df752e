"""The message packages: colcon builds them from this tree, each type crosses real DDS from a
process using that fresh build to this one, and the definitions rosbags reads are the ones
colcon compiled, field for field."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from support import spin_until

from hybrid_perception.io.message_types import message_types

ROOT = Path(__file__).resolve().parents[1]

PUBLISHER = r'''
import time, rclpy, hybrid_perception_msgs, event_camera_msgs
from builtin_interfaces.msg import Time
from geometry_msgs.msg import Point
from event_camera_msgs.msg import EventPacket
from hybrid_perception_msgs.msg import GestureLabel, ImageLabel, Joints2D, Joints3D
print(hybrid_perception_msgs.__file__, event_camera_msgs.__file__, flush=True)
rclpy.init()
node = rclpy.create_node('fresh_build')
messages = {
    'gesture': GestureLabel(end=Time(sec=3, nanosec=4), label=7, name='arm_roll', subject='s2'),
    'joints2d': Joints2D(names=['head', 'hand'], u=[1.5, 2.5], v=[3.5, float('nan')],
                         subject='s3', movement='wave'),
    'joints3d': Joints3D(names=['head'], positions=[Point(x=0.1, y=0.2, z=1.7)], subject='s4',
                         movement='walk'),
    'packet': EventPacket(height=480, width=640, seq=9, time_base=123, encoding='evt3',
                          is_bigendian=False),
    'image': ImageLabel(label=3, name='3', sample='test-17'),
}
messages['packet'].events = bytes(range(256)) * 3
publishers = {topic: node.create_publisher(type(m), 'types/' + topic, 10)
              for topic, m in messages.items()}
while rclpy.ok():
    for topic, m in messages.items():
        publishers[topic].publish(m)
    time.sleep(0.1)
'''


def test_message_packages_build_with_colcon_and_cross_dds_between_processes(ros, tmp_path):
    env = {**os.environ, 'HYBRID_PERCEPTION_CACHE': str(tmp_path)}
    build = subprocess.run([str(ROOT / 'scripts' / 'build-msgs.sh')], env=env,
                           capture_output=True, text=True, timeout=900)
    assert build.returncode == 0, build.stderr[-3000:]
    assert 'Summary: 2 packages finished' in build.stderr
    import rclpy
    from event_camera_msgs.msg import EventPacket

    from hybrid_perception_msgs.msg import GestureLabel, ImageLabel, Joints2D, Joints3D
    context, executor = ros
    node = rclpy.create_node('listener', context=context)
    heard = {}
    for topic, kind in (('gesture', GestureLabel), ('joints2d', Joints2D),
                        ('joints3d', Joints3D), ('packet', EventPacket),
                        ('image', ImageLabel)):
        node.create_subscription(kind, 'types/' + topic,
                                 lambda m, t=topic: heard.setdefault(t, m), 10)
    executor.add_node(node)
    child = subprocess.Popen(['bash', '-c', f'eval "$({ROOT}/scripts/build-msgs.sh)" && '
                              'exec python -c "$0"', PUBLISHER], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert spin_until(executor, lambda: len(heard) == 5, 30.0), heard.keys()
    finally:
        child.terminate()
        output = child.communicate(timeout=20)[0]
    assert output.split()[0].startswith(str(tmp_path)), output   # the fresh build published
    gesture, joints2d, joints3d, packet = (heard[t] for t in
                                           ('gesture', 'joints2d', 'joints3d', 'packet'))
    assert (gesture.end.sec, gesture.end.nanosec, gesture.label, gesture.name,
            gesture.subject) == (3, 4, 7, 'arm_roll', 's2')
    assert list(joints2d.names) == ['head', 'hand'] and list(joints2d.u) == [1.5, 2.5]
    assert joints2d.v[0] == 3.5 and joints2d.v[1] != joints2d.v[1]   # NaN crosses as NaN
    assert (joints3d.positions[0].z, joints3d.movement) == (pytest.approx(1.7), 'walk')
    assert (packet.width, packet.height, packet.seq, packet.time_base, packet.encoding) == (
        640, 480, 9, 123, 'evt3')
    assert bytes(packet.events) == bytes(range(256)) * 3
    assert (heard['image'].label, heard['image'].name, heard['image'].sample) == (
        3, '3', 'test-17')


def test_rosbags_reads_the_definitions_colcon_compiled():
    """Field names and order of every type as rosbags registers it (from the .msg files) and
    as the compiled Python classes have them: bags and live topics agree."""
    import importlib

    from hybrid_perception.io.rosbag import typestore
    store = typestore()
    for name in message_types():
        package, _, kind = name.split('/')
        compiled = getattr(importlib.import_module(f'{package}.msg'), kind)
        ours = [field for field, _ in store.fielddefs[name][1]]
        assert ours == list(compiled.get_fields_and_field_types()), name
