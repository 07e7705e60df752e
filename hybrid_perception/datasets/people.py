"""A synthetic DHP19-like dataset: articulated people moving, seen by two calibrated DVS.

DHP19 (Calabrese et al. 2019) cannot be downloaded here, so H2 trains and is evaluated on its
stand-in. A person is DHP19's 13 joints on a body of capsules (torso, limbs, head, hands) in
metres; a movement drives its joint angles over time; two calibrated cameras in front of them
(like DHP19's front views 2 and 3) render intensity frames every ``frame_period_us`` and the
DVS simulator turns each view into events. Ground truth is the 3D joints and their projection
into each view, at every label time (DHP19 labels every 10 ms; we can label every bin).

The sensor is 128x128 (DHP19's 256x256 crop, halved for CPU training), the networks see it
down-sampled again. Subjects differ in height, proportions, where they stand and which way they
face, speed, amplitude, clothing/skin/background contrast (either sign) and sensor noise.
Train and test subjects are disjoint, as in DHP19 (12 train, 5 test).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
from tqdm import tqdm

from hybrid_perception.datasets.splits import split_ids
from hybrid_perception.events.array import SensorSize, concatenate
from hybrid_perception.geometry.cameras import Camera, look_at
from hybrid_perception.geometry.joints import JOINTS, N_JOINTS
from hybrid_perception.sim.drawing import contrasting, paint_capsules, room_texture
from hybrid_perception.sim.simulator import DvsParams, DvsSimulator

__all__ = ['MOVEMENTS', 'Movement', 'PeopleRenderer', 'Person', 'PoseTake', 'default_cameras',
           'people']

N_PEOPLE, N_TRAIN_PEOPLE = 17, 12
SENSOR = SensorSize(128, 128)
_J = {name: i for i, name in enumerate(JOINTS)}
_RIGHT, _LEFT = -1.0, 1.0  # the person's right is -x in their body frame (they face -y)


def default_cameras(sensor: SensorSize = SENSOR) -> tuple[Camera, Camera]:
    """Two cameras 3.6 m in front of the origin, 30 degrees either side, 1.1 m high."""
    focal = 165.0 * sensor.width / 128
    target = np.array([0.0, 0.0, 0.95])
    cameras = []
    for i, azimuth in enumerate(np.radians([-30.0, 30.0])):
        position = np.array([3.6 * np.sin(azimuth), -3.6 * np.cos(azimuth), 1.1])
        cameras.append(look_at(f'cam{i}', sensor, focal, position, target))
    return tuple(cameras)


@dataclass(frozen=True)
class Person:
    """What makes one subject look and move unlike another (all drawn per subject id)."""

    height_m: float = 1.75
    arm_ratio: float = 1.0
    leg_ratio: float = 1.0
    width: float = 1.0
    position_m: tuple[float, float] = (0.0, 0.0)
    yaw_rad: float = 0.0
    speed: float = 1.0
    amplitude: float = 1.0
    background: float = 0.25
    shirt: float = 0.6
    trousers: float = 0.5
    skin: float = 0.8
    texture: float = 0.05
    shot_noise_hz: float = 1.0
    hot_pixel_fraction: float = 0.0
    seed: int = 0

    @classmethod
    def draw(cls, rng: np.random.Generator, seed: int) -> Person:
        background = float(rng.uniform(0.15, 0.45))
        shirt, trousers, skin = contrasting(background, 3, rng)
        return cls(height_m=float(rng.uniform(1.55, 1.95)),
                   arm_ratio=float(rng.uniform(0.92, 1.08)),
                   leg_ratio=float(rng.uniform(0.92, 1.08)), width=float(rng.uniform(0.85, 1.2)),
                   position_m=(float(rng.uniform(-0.3, 0.3)), float(rng.uniform(-0.3, 0.3))),
                   yaw_rad=float(rng.uniform(-0.35, 0.35)), speed=float(rng.uniform(0.8, 1.25)),
                   amplitude=float(rng.uniform(0.8, 1.15)), background=background,
                   shirt=shirt, trousers=trousers, skin=skin,
                   texture=float(rng.uniform(0.0, 0.1)),
                   shot_noise_hz=float(rng.uniform(0.05, 1.5)),
                   hot_pixel_fraction=float(rng.choice([0.0, 0.0005, 0.002])), seed=seed)


def people(split: str, seed: int = 0) -> list[Person]:
    """The ``train`` (12) or ``test`` (5) people of dataset ``seed``; ``all`` is both."""
    return [Person.draw(np.random.default_rng([seed, 1000 + i]), seed=i)
            for i in split_ids(split, N_TRAIN_PEOPLE, N_PEOPLE)]


@dataclass(frozen=True)
class _Stance:
    """Joint angles: per side (right, left) each limb segment's (theta, phi).

    theta is the angle from hanging straight down; phi turns the swing from sideways (0) to
    forward (pi/2); a negative theta at phi = pi/2 swings backward. Angles are absolute (not
    relative to the parent segment), which keeps each movement a line or two.
    """

    upper_arm: tuple[tuple[float, float], tuple[float, float]] = ((0.1, 0.0), (0.1, 0.0))
    forearm: tuple[tuple[float, float], tuple[float, float]] = ((0.15, 0.3), (0.15, 0.3))
    thigh: tuple[tuple[float, float], tuple[float, float]] = ((0.05, 0.0), (0.05, 0.0))
    shin: tuple[tuple[float, float], tuple[float, float]] = ((0.05, 0.0), (0.05, 0.0))
    lean: float = 0.0   # sideways bend of the upper body, radians (+ = to the person's left)
    hop: float = 0.0    # metres off the ground


def _both(limb: tuple[float, float]) -> tuple[tuple[float, float], tuple[float, float]]:
    """The same angles on the right and the left."""
    return (limb, limb)


def _alternate(p: float, side: int) -> float:
    """A 0..1 pulse, right and left half a cycle apart."""
    return max(0.0, np.sin(p + side * np.pi)) ** 2


def _walk(p: float, a: float) -> _Stance:
    thigh = tuple((0.7 * a * _alternate(p, s), np.pi / 2) for s in (0, 1))
    shin = tuple((t - 1.3 * a * _alternate(p, s), np.pi / 2) for s, (t, _) in enumerate(thigh))
    arms = tuple((0.4 * a * np.sin(p + s * np.pi), np.pi / 2) for s in (0, 1))
    return _Stance(upper_arm=arms, forearm=tuple((t + 0.4, f) for t, f in arms),
                   thigh=thigh, shin=shin)


def _arm_circles(p: float, a: float) -> _Stance:
    arm = (np.pi / 2 + 0.45 * a * np.sin(p), 0.45 * a * np.cos(p))
    return _Stance(upper_arm=_both(arm), forearm=_both(arm))


def _jumping_jacks(p: float, a: float) -> _Stance:
    s = (1 - np.cos(p)) / 2
    arm = (0.15 + 2.6 * a * s, 0.0)
    leg = (0.05 + 0.3 * a * s, 0.0)
    fore = (arm[0] + 0.15, 0.0)
    return _Stance(upper_arm=_both(arm), forearm=_both(fore), thigh=_both(leg),
                   shin=_both(leg), hop=0.06 * a * abs(np.sin(p)))


def _squats(p: float, a: float) -> _Stance:
    s = (1 - np.cos(p)) / 2
    thigh, shin = (1.35 * a * s, np.pi / 2), (-0.45 * a * s, np.pi / 2)
    arm = (0.1 + 1.45 * a * s, np.pi / 2)
    return _Stance(upper_arm=_both(arm), forearm=_both(arm), thigh=_both(thigh),
                   shin=_both(shin))


def _punches(p: float, a: float) -> _Stance:
    reach = [a * _alternate(p, s) for s in (0, 1)]
    upper = tuple((0.5 + (np.pi / 2 - 0.5) * e, np.pi / 2) for e in reach)
    fore = tuple((2.4 + (np.pi / 2 - 2.4) * e, np.pi / 2) for e in reach)
    stance = (0.12, 0.0)
    return _Stance(upper_arm=upper, forearm=fore, thigh=_both(stance),
                   shin=_both(stance))


def _kicks(p: float, a: float) -> _Stance:
    kick = [a * _alternate(p, s) for s in (0, 1)]
    thigh = tuple((1.3 * e, np.pi / 2) for e in kick)
    shin = tuple((1.3 * e - 0.9 * np.sin(np.pi * min(e, 1.0)), np.pi / 2) for e in kick)
    arm = (0.7, 0.0)
    return _Stance(upper_arm=_both(arm), forearm=_both((0.9, 0.0)),
                   thigh=thigh, shin=shin)


def _waving(p: float, a: float) -> _Stance:
    return _Stance(upper_arm=((2.2, 0.2), (0.1, 0.0)),
                   forearm=((np.pi - 0.1 + 0.55 * a * np.sin(p), 0.0), (0.15, 0.3)))


def _side_bends(p: float, a: float) -> _Stance:
    arm = (2.9, 0.0)
    return _Stance(upper_arm=_both(arm), forearm=_both(arm),
                   thigh=_both((0.1, 0.0)), lean=0.35 * a * np.sin(p))


@dataclass(frozen=True)
class Movement:
    """A named movement: angles as a function of phase and amplitude, and its cycle rate."""

    name: str
    stance: Callable[[float, float], _Stance]
    frequency_hz: float


MOVEMENTS = tuple(Movement(*entry) for entry in (
    ('walking_in_place', _walk, 1.0), ('arm_circles', _arm_circles, 0.9),
    ('jumping_jacks', _jumping_jacks, 0.9), ('squats', _squats, 0.5),
    ('punches', _punches, 1.1), ('kicks', _kicks, 0.6), ('waving', _waving, 1.6),
    ('side_bends', _side_bends, 0.5),
))


def _direction(theta: float, phi: float, side: float) -> np.ndarray:
    s = np.sin(theta)
    return np.array([side * s * np.cos(phi), -s * np.sin(phi), -np.cos(theta)])


def _rotation_z(angle: float) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def _rotation_y(angle: float) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])


def joints_3d(stance: _Stance, person: Person) -> np.ndarray:
    """(13, 3) world joint positions in metres, DHP19 order, feet on the floor (z = 0)."""
    k = person.height_m / 1.75
    arm, leg, w = 0.295 * k * person.arm_ratio, 0.43 * k * person.leg_ratio, k * person.width
    joints = np.zeros((N_JOINTS, 3))
    neck = np.array([0.0, 0.0, 0.52 * k])  # the pelvis at the origin for now
    joints[_J['head']] = neck + [0.0, 0.0, 0.2 * k]
    for side, (sign, suffix) in enumerate(((_RIGHT, 'R'), (_LEFT, 'L'))):
        shoulder = neck + [sign * 0.18 * w, 0.0, -0.03 * k]
        elbow = shoulder + arm * _direction(*stance.upper_arm[side], sign)
        hip = np.array([sign * 0.09 * w, 0.0, 0.0])
        knee = hip + leg * _direction(*stance.thigh[side], sign)
        joints[[_J['shoulder' + suffix], _J['elbow' + suffix], _J['hand' + suffix],
                _J['hip' + suffix], _J['knee' + suffix], _J['foot' + suffix]]] = [
            shoulder, elbow, elbow + arm * _direction(*stance.forearm[side], sign), hip, knee,
            knee + leg * _direction(*stance.shin[side], sign)]
    upper = [_J[n] for n in ('head', 'shoulderR', 'shoulderL', 'elbowR', 'elbowL', 'handR',
                             'handL')]
    joints[upper] = joints[upper] @ _rotation_y(-stance.lean).T
    joints[:, 2] += 0.08 * k + stance.hop - joints[[_J['footR'], _J['footL']], 2].min()
    return joints @ _rotation_z(person.yaw_rad).T + [*person.position_m, 0.0]


@dataclass(frozen=True)
class _Shape:
    """A body part as a capsule between two joints (a disc when both are the same)."""

    start: int
    end: int
    radius_m: float
    garment: str


def _shape(a: str, b: str, radius: float, garment: str) -> _Shape:
    return _Shape(_J[a], _J[b], radius, garment)


_SHAPES = (
    _shape('shoulderR', 'hipR', 0.11, 'shirt'), _shape('shoulderL', 'hipL', 0.11, 'shirt'),
    _shape('shoulderR', 'shoulderL', 0.07, 'shirt'), _shape('hipR', 'hipL', 0.09, 'trousers'),
    _shape('head', 'head', 0.11, 'skin'),
    _shape('shoulderR', 'elbowR', 0.045, 'shirt'), _shape('elbowR', 'handR', 0.04, 'shirt'),
    _shape('shoulderL', 'elbowL', 0.045, 'shirt'), _shape('elbowL', 'handL', 0.04, 'shirt'),
    _shape('handR', 'handR', 0.055, 'skin'), _shape('handL', 'handL', 0.055, 'skin'),
    _shape('hipR', 'kneeR', 0.07, 'trousers'), _shape('kneeR', 'footR', 0.055, 'trousers'),
    _shape('hipL', 'kneeL', 0.07, 'trousers'), _shape('kneeL', 'footL', 0.055, 'trousers'),
)


@dataclass(frozen=True)
class PoseTake:
    """One performance seen by every camera: events per camera and the ground truth.

    ``joints_3d`` is (F, 13, 3) metres at ``label_us`` (F,); ``joints_2d`` is (V, F, 13, 2)
    pixels of each camera's sensor.
    """

    events: tuple[np.ndarray, ...]
    label_us: np.ndarray
    joints_3d: np.ndarray
    joints_2d: np.ndarray
    movement: str
    person: int


@dataclass(frozen=True)
class _Performance:
    movement: Movement
    phase: float
    frequency_hz: float
    amplitude: float

    def stance(self, t_s: float) -> _Stance:
        return self.movement.stance(2 * np.pi * self.frequency_hz * t_s + self.phase,
                                    self.amplitude)


@dataclass(frozen=True)
class PeopleRenderer:
    """Renders (movement, person) into per-camera intensity frames, events and ground truth."""

    cameras: tuple[Camera, ...] = field(default_factory=default_cameras)
    frame_period_us: int = 2000
    label_period_us: int = 10_000
    params: DvsParams = DvsParams()

    def performance(self, movement: int, person: Person,
                    rng: np.random.Generator) -> _Performance:
        """A take: random phase and +-10 % rate jitter around the person's speed."""
        chosen = MOVEMENTS[movement]
        return _Performance(chosen, phase=float(rng.uniform(0, 2 * np.pi)),
                            frequency_hz=float(chosen.frequency_hz * person.speed
                                               * rng.uniform(0.9, 1.1)),
                            amplitude=person.amplitude)

    def frame(self, camera: Camera, joints: np.ndarray, person: Person,
              background: np.ndarray) -> np.ndarray:
        """One view: body parts painted far to near, each sized by its depth."""
        pixels = camera.project(joints)
        scale = camera.pixels_per_metre(joints)
        depth = camera.to_camera(joints)[:, 2]
        frame = background.copy()
        for shape in sorted(_SHAPES, key=lambda s: -(depth[s.start] + depth[s.end])):
            radius = shape.radius_m * 0.5 * (scale[shape.start] + scale[shape.end])
            paint_capsules(frame, pixels[shape.start], pixels[shape.end], radius,
                           getattr(person, shape.garment))
        return frame

    def take(self, movement: int, person: Person, duration_us: int,
             rng: np.random.Generator) -> PoseTake:
        """Events of every camera from 0 to ``duration_us`` and labels every label period."""
        performance = self.performance(movement, person, rng)
        simulators = [DvsSimulator(camera.sensor, replace(
            self.params, shot_noise_hz=person.shot_noise_hz,
            hot_pixel_fraction=person.hot_pixel_fraction), rng=rng) for camera in self.cameras]
        backgrounds = [room_texture(camera.sensor, person.background, person.texture,
                                    np.random.default_rng([person.seed, 2, i]))
                       for i, camera in enumerate(self.cameras)]
        chunks: list[list[np.ndarray]] = [[] for _ in self.cameras]
        for t_us in range(0, duration_us + 1, self.frame_period_us):
            joints = joints_3d(performance.stance(t_us * 1e-6), person)
            for camera, simulator, background, out in zip(self.cameras, simulators, backgrounds,
                                                          chunks, strict=True):
                frame = self.frame(camera, joints, person, background)
                if t_us == 0:
                    simulator.reset(frame, 0)
                else:
                    out.append(simulator.step(frame, t_us))
        label_us = np.arange(0, duration_us + 1, self.label_period_us, dtype=np.int64)
        truth = np.stack([joints_3d(performance.stance(t * 1e-6), person) for t in label_us])
        return PoseTake(events=tuple(concatenate(c) for c in chunks), label_us=label_us,
                        joints_3d=truth,
                        joints_2d=np.stack([camera.project(truth) for camera in self.cameras]),
                        movement=performance.movement.name, person=person.seed)

    def takes(self, split: str, takes: int, duration_us: int, seed: int = 0, *,
              last_people: int | None = None, progress: bool = False) -> list[PoseTake]:
        """``takes`` takes of every movement by every person of ``split`` (or by its last
        ``last_people``: the people a validation split holds out are the last ones)."""
        chosen = people(split, seed)[-last_people:] if last_people else people(split, seed)
        jobs = [(person, m, k) for person in chosen
                for m in range(len(MOVEMENTS)) for k in range(takes)]
        return [self.take(m, person, duration_us, np.random.default_rng([seed, person.seed, m, k]))
                for person, m, k in tqdm(jobs, desc=f'rendering {split} takes', unit='take',
                                         disable=not progress)]
