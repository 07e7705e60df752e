"""The package's message types (``*.msg`` here), registered into a rosbags typestore."""

from __future__ import annotations

from pathlib import Path

__all__ = ['MESSAGE_TYPES', 'register']

_HERE = Path(__file__).parent
#: ROS type name -> definition file.
MESSAGE_TYPES = {f'hybrid_perception/msg/{p.stem}': p for p in sorted(_HERE.glob('*.msg'))}


def register(store) -> None:
    """Add our types to a rosbags typestore, from the ``.msg`` files themselves."""
    from rosbags.typesys import get_types_from_msg
    for name, path in MESSAGE_TYPES.items():
        store.register(get_types_from_msg(path.read_text(), name))
