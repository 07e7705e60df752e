"""Joining the views of a rig: each camera's 2D pose at the same instant, into one 3D pose.

The per-view SNNs step on the same sensor-clock grid, so the poses of one instant carry the
same stamp; :class:`ViewSync` pairs them by exact stamp and lets an instant some view never
delivered (a dropped message, a view that restarted) go after ``keep`` newer instants, counted.
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np

from hybrid_perception.geometry.cameras import Camera, triangulate

__all__ = ['ViewSync', 'triangulate_views']


class ViewSync:
    """The views' poses of one stamp, once every view has delivered it."""

    def __init__(self, views: tuple[str, ...], keep: int = 50) -> None:
        if len(set(views)) < 2:
            raise ValueError(f'need two or more distinct views, got {views}')
        self.views = tuple(views)
        self.keep = keep
        self.incomplete = 0         # instants given up on: some view never delivered them
        self.late = 0               # poses older than every instant still waiting
        self._pending: OrderedDict[int, dict[str, np.ndarray]] = OrderedDict()
        self._oldest = None

    def add(self, view: str, stamp_us: int, points: np.ndarray) -> dict[str, np.ndarray] | None:
        """Every view's pose at ``stamp_us`` when this one completes the set, else None."""
        if view not in self.views:
            raise ValueError(f'unknown view {view!r}; expected one of {self.views}')
        if self._oldest is not None and stamp_us < self._oldest:
            self.late += 1
            return None
        poses = self._pending.setdefault(stamp_us, {})
        poses[view] = np.asarray(points, np.float64)
        if len(poses) == len(self.views):
            del self._pending[stamp_us]
            return {v: poses[v] for v in self.views}
        while len(self._pending) > self.keep:
            dropped, _ = self._pending.popitem(last=False)
            self.incomplete += 1
            self._oldest = dropped + 1
        return None


def triangulate_views(cameras: dict[str, Camera], poses: dict[str, np.ndarray],
                      reference: Camera | None = None) -> np.ndarray:
    """(J, 3) joints from each view's (J, 2) pixels, in ``reference``'s optical frame, or in
    the world's without one."""
    names = list(poses)
    world = triangulate([cameras[n] for n in names], [poses[n][:, :2] for n in names])
    return world if reference is None else reference.to_camera(world)
