"""The node executables (``ros2 run hybrid_perception snn_node``, the launch files, and the
console scripts pip installs): each catches Ctrl-C and SIGTERM before it imports rclpy, torch or
its model (:mod:`hybrid_perception.ros.signals`), runs its node module's ``main``, and leaves
as soon as the node has stopped."""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module

from hybrid_perception.ros.signals import catch_stop_signals, leave

__all__ = ['accumulator_node', 'ann_node', 'dvs_driver', 'image_classifier_node',
           'image_player', 'pose_snn_node', 'skeleton_node', 'snn_node',
           'state_initializer_node']


def _executable(name: str) -> Callable[[list[str] | None], None]:
    def main(args: list[str] | None = None) -> None:
        catch_stop_signals()
        try:
            import_module(f'hybrid_perception.ros.nodes.{name}').main(args)
        except SystemExit as end:      # a configuration refused: status 2, said in one line
            leave(end.code if isinstance(end.code, int) else 1)
        leave(0)
    main.__name__ = name
    main.__doc__ = f'The {name} executable.'
    return main


dvs_driver = _executable('dvs_driver')
snn_node = _executable('snn_node')
accumulator_node = _executable('accumulator_node')
ann_node = _executable('ann_node')
state_initializer_node = _executable('state_initializer_node')
pose_snn_node = _executable('pose_snn_node')
skeleton_node = _executable('skeleton_node')
image_player = _executable('image_player')
image_classifier_node = _executable('image_classifier_node')
