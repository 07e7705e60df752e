"""Anti-aliased shapes for synthetic scenes: a limb is a capsule, a head or hand a disc.

Edges are soft over one pixel, so a shape moving by a fraction of a pixel changes the intensity
of its edge pixels a little, and the DVS simulator sees the sub-pixel motion a real sensor would.
Painting visits only each shape's bounding box (compiled), which is what makes rendering
thousands of 128x128 frames a second possible.
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ['contrasting', 'draw_skeleton', 'paint_capsules', 'paint_discs', 'room_texture']


def paint_capsules(frame: np.ndarray, starts: np.ndarray, ends: np.ndarray, radius: float,
                   intensity: float) -> np.ndarray:
    """Blend ``intensity`` into ``frame`` (H, W float64, in place) over the union of capsules.

    ``starts``/``ends`` are (K, 2) segment end points as (x, y) pixels; the capsules share
    ``radius``. Where capsules overlap, the larger coverage wins (a union, not a sum).
    """
    starts = np.ascontiguousarray(starts, np.float64).reshape(-1, 2)
    ends = np.ascontiguousarray(ends, np.float64).reshape(-1, 2)
    coverage = np.zeros(frame.shape, np.float64)
    _capsule_coverage(starts, ends, float(radius), coverage)
    frame += coverage * (intensity - frame)
    return frame


def paint_discs(frame: np.ndarray, centres: np.ndarray, radius: float,
                intensity: float) -> np.ndarray:
    """Discs are capsules of zero length."""
    return paint_capsules(frame, centres, centres, radius, intensity)


def contrasting(background: float, n: int, rng: np.random.Generator) -> list[float]:
    """``n`` brightnesses (clothing, skin) each brighter or darker than ``background`` by a
    random factor: the contrast sign flips the events' polarities, so polarity alone does not
    give away the motion direction."""
    sign = rng.choice([-1.0, 1.0], size=n)
    values = np.clip(background * np.exp(sign * rng.uniform(0.5, 1.2, size=n)), 0.03, 1.0)
    return [float(v) for v in values]


def room_texture(sensor, level: float, depth: float, rng: np.random.Generator) -> np.ndarray:
    """A smooth random background around ``level``: static, so it adds only noise events, as a
    real room does; ``depth`` is the texture's relative contrast."""
    h, w = sensor.height, sensor.width
    coarse = rng.standard_normal((h // 16 + 2, w // 16 + 2))
    fine = np.kron(coarse, np.ones((16, 16)))[:h, :w]
    return np.clip(level * (1 + depth * fine), 0.02, 1.0)


@numba.njit(cache=True, nogil=True)
def _capsule_coverage(starts, ends, radius, coverage):  # pragma: no cover - compiled
    h, w = coverage.shape
    for k in range(starts.shape[0]):
        ax, ay = starts[k, 0], starts[k, 1]
        dx, dy = ends[k, 0] - ax, ends[k, 1] - ay
        length2 = max(dx * dx + dy * dy, 1e-9)
        x0 = max(int(np.floor(min(ax, ax + dx) - radius - 1)), 0)
        x1 = min(int(np.ceil(max(ax, ax + dx) + radius + 1)), w - 1)
        y0 = max(int(np.floor(min(ay, ay + dy) - radius - 1)), 0)
        y1 = min(int(np.ceil(max(ay, ay + dy) + radius + 1)), h - 1)
        for y in range(y0, y1 + 1):
            for x in range(x0, x1 + 1):
                rx, ry = x - ax, y - ay
                along = min(max((rx * dx + ry * dy) / length2, 0.0), 1.0)
                ex, ey = rx - along * dx, ry - along * dy
                c = min(max(radius - np.sqrt(ex * ex + ey * ey) + 0.5, 0.0), 1.0)
                if c > coverage[y, x]:
                    coverage[y, x] = c


def draw_skeleton(image: np.ndarray, joints: np.ndarray, bones: tuple[tuple[int, int], ...],
                  colour: tuple[int, int, int], width: float = 0.8) -> np.ndarray:
    """Draw bones and joints (x, y pixels) over a (H, W, 3) uint8 image, in place; joints that
    are NaN leave their bones out."""
    joints = np.asarray(joints, np.float64)[:, :2]
    pairs = np.array([b for b in bones if np.isfinite(joints[list(b)]).all()], np.int64)
    coverage = np.zeros(image.shape[:2], np.float64)
    if len(pairs):
        paint_capsules(coverage, joints[pairs[:, 0]], joints[pairs[:, 1]], width, 1.0)
    known = joints[np.isfinite(joints).all(axis=1)]
    paint_discs(coverage, known, 1.6 * width, 1.0)
    blended = image * (1 - coverage[..., None]) + np.array(colour) * coverage[..., None]
    image[:] = np.round(blended).astype(np.uint8)
    return image
