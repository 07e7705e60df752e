"""The message definitions our bags carry beyond the stock ones, read from their ``.msg``
files: ours (``hybrid_perception_msgs``) and the event-camera community's EventPacket.

The same files are what colcon compiles, so a bag written here and a live topic from the
compiled types agree field for field. Found, in order, where a ROS package index says the
package lives (a colcon build, a robot's install), where ``pip install`` puts them
(``<prefix>/share/hybrid_perception_msgs/msg/<package>/``), or in a source checkout.
"""

from __future__ import annotations

import sys
from pathlib import Path

__all__ = ['PACKAGES', 'message_types', 'register']

#: package -> its folder in the source tree
PACKAGES = {'hybrid_perception_msgs': 'hybrid_perception_msgs',
            'event_camera_msgs': 'third_party/event_camera_msgs'}
_CHECKOUT = Path(__file__).resolve().parents[2]


def _msg_folder(package: str) -> Path:
    candidates = []
    try:
        from ament_index_python.packages import get_package_share_directory
        candidates.append(Path(get_package_share_directory(package)) / 'msg')
    except (ImportError, KeyError, ValueError, OSError):
        pass   # no ROS package index (OSError: AMENT_PREFIX_PATH unset), or the package is
        #        not built: the next places
    candidates += [Path(sys.prefix) / 'share' / 'hybrid_perception' / 'msg' / package,
                   _CHECKOUT / PACKAGES[package] / 'msg']
    for folder in candidates:
        if any(folder.glob('*.msg')):
            return folder
    raise FileNotFoundError(f'no .msg files of {package} in {", ".join(map(str, candidates))}')


def message_types() -> dict[str, Path]:
    """ROS type name (``package/msg/Name``) -> its definition file."""
    return {f'{package}/msg/{path.stem}': path for package in PACKAGES
            for path in sorted(_msg_folder(package).glob('*.msg'))}


def register(store) -> None:
    """Add the types to a rosbags typestore, from the ``.msg`` files themselves."""
    from rosbags.typesys import get_types_from_msg
    for name, path in message_types().items():
        store.register(get_types_from_msg(path.read_text(), name))
