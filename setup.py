"""ament_python package, also pip-installable (``pip install .``)."""
from glob import glob

from setuptools import find_packages, setup

PACKAGE = 'hybrid_perception'

setup(
    name=PACKAGE,
    version='0.1.0',
    packages=find_packages(exclude=['test', 'test.*', 'benchmarks', 'third_party', 'third_party.*',
                                    'hybrid_perception_msgs']),
    package_data={f'{PACKAGE}.networks': ['specs/*.yaml'],
                  f'{PACKAGE}.networks.energy': ['*.yaml'],
                  f'{PACKAGE}.hybrid.gesture': ['specs/*.yaml'],
                  f'{PACKAGE}.hybrid.pose': ['specs/*.yaml'],
                  f'{PACKAGE}': ['models/*/*/*', 'models/pose/*', 'models/pose-200/*',
                                  'models/digits/*']},
    data_files=[
        ('share/ament_index/resource_index/packages', [f'resource/{PACKAGE}']),
        (f'share/{PACKAGE}', ['package.xml']),
        (f'share/{PACKAGE}/launch', glob('launch/*.launch.py')),
        (f'share/{PACKAGE}/config', glob('config/*.yaml') + glob('config/*.rviz')),
        # the .msg files rosbags reads (io.message_types) for pip installs without colcon
        (f'share/{PACKAGE}/msg/hybrid_perception_msgs', glob('hybrid_perception_msgs/msg/*.msg')),
        (f'share/{PACKAGE}/msg/event_camera_msgs', glob('third_party/event_camera_msgs/msg/*.msg')),
    ],
    install_requires=['setuptools'],
    zip_safe=True,
    maintainer='hybrid_perception developers',
    maintainer_email='hybrid-perception@example.org',
    description='Hybrid SNN/ANN perception on event cameras for ROS 2 (Loihi via Lava, Jetson via '
                'PyTorch/ONNX).',
    license='Apache-2.0',
    python_requires='>=3.10',
    entry_points={
        'console_scripts': [
            'hybrid-perception = hybrid_perception.cli.main:main',
            'dvs_driver = hybrid_perception.ros.executables:dvs_driver',
            'snn_node = hybrid_perception.ros.executables:snn_node',
            'accumulator_node = hybrid_perception.ros.executables:accumulator_node',
            'ann_node = hybrid_perception.ros.executables:ann_node',
            'state_initializer_node = hybrid_perception.ros.executables:state_initializer_node',
            'pose_snn_node = hybrid_perception.ros.executables:pose_snn_node',
            'skeleton_node = hybrid_perception.ros.executables:skeleton_node',
            'image_player = hybrid_perception.ros.executables:image_player',
            'image_classifier_node = hybrid_perception.ros.executables:image_classifier_node',
        ],
    },
)
