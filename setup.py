"""ament_python package, also pip-installable (``pip install .``)."""
from glob import glob

from setuptools import find_packages, setup

PACKAGE = 'hybrid_perception'

setup(
    name=PACKAGE,
    version='0.1.0',
    packages=find_packages(exclude=['test', 'test.*', 'benchmarks']),
    package_data={f'{PACKAGE}.snn': ['specs/*.yaml'],
                  f'{PACKAGE}.hybrid': ['specs/*.yaml', 'specs/pose/*.yaml'],
                  f'{PACKAGE}': ['models/*/*/*', 'models/pose/*', 'models/pose-200/*'],
                  f'{PACKAGE}.interfaces': ['*.msg', 'README.md'],
                  f'{PACKAGE}.energy': ['*.yaml']},
    data_files=[
        ('share/ament_index/resource_index/packages', [f'resource/{PACKAGE}']),
        (f'share/{PACKAGE}', ['package.xml']),
        (f'share/{PACKAGE}/launch', glob('launch/*.launch.py')),
        (f'share/{PACKAGE}/config', glob('config/*.yaml') + glob('config/*.rviz')),
        (f'share/{PACKAGE}/msg', glob(f'{PACKAGE}/interfaces/*.msg')),
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
            'hybrid-perception = hybrid_perception.cli:main',
            'dvs_driver = hybrid_perception.ros.dvs_driver:main',
            'snn_node = hybrid_perception.ros.snn_node:main',
            'accumulator_node = hybrid_perception.ros.accumulator_node:main',
            'ann_node = hybrid_perception.ros.ann_node:main',
            'state_initializer_node = hybrid_perception.ros.state_initializer_node:main',
            'pose_snn_node = hybrid_perception.ros.pose_snn_node:main',
            'skeleton_node = hybrid_perception.ros.skeleton_node:main',
        ],
    },
)
