"""A synthetic DVS-Gesture-like dataset: an articulated upper body performing the 11 gestures.

DVS128 Gesture (Amir et al. 2017) cannot be downloaded here, so H1 trains and is evaluated on
its stand-in: a person facing a 128x128 DVS (head, torso, two arms of two segments, hands)
performs the 11 classes, rendered as intensity frames every ``frame_period_us`` and turned into
events by the DVS simulator. "Subjects" differ as the real dataset's 29 do: body size and
position, speed, amplitude, clothing/skin/background contrast (either sign), background
texture, sensor noise and hot pixels. Train and test subjects are disjoint, as in the dataset
(23 train, 6 test).

A twelfth class, ``none``, holds what a camera sees between gestures and a classifier must not
name: sensor noise alone, an empty or still room, a person walking past or toward the camera,
standing up or sitting down, something passing in front, the camera turning, and a person of
the pose dataset's renderer (another body: 3D, full height, legs) walking in place, squatting,
kicking... (#22: trained on gestures only, H1 called people walking, and pure noise,
``hand_clapping``).

Left and right are the subject's (the subject's right arm is on the image's left); clockwise
is as the camera sees it. Within 160 ms an arm circle covers a fifth of a turn, so clockwise
and counter-clockwise differ in the direction of motion, not in the shape: a classifier needs
the events' timing and polarity, and the subject's contrast sign, to tell them apart.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace

import numpy as np
from tqdm import tqdm

from hybrid_perception.datasets.dvs_gesture import DVS_GESTURE_SENSOR, DvsGestureRecording
from hybrid_perception.datasets.gesture_classes import CLASSES, GESTURE_CLASSES, NO_GESTURE
from hybrid_perception.datasets.people import MOVEMENTS, PeopleRenderer, default_cameras, people
from hybrid_perception.datasets.splits import split_ids
from hybrid_perception.events.array import SensorSize, concatenate
from hybrid_perception.events.representations import to_spike_tensor
from hybrid_perception.sim.drawing import contrasting, paint_capsules, paint_discs, room_texture
from hybrid_perception.sim.simulator import DvsParams, DvsSimulator

__all__ = ['NONE_TAKES', 'NON_GESTURES', 'SCENES', 'GestureClips', 'GestureRenderer', 'Subject',
           'subjects']

#: The ``none`` scenes this renderer draws, and with the pose dataset's people: the scenes
#: ``none`` is drawn from, in turn.
SCENES = ('noise', 'still', 'walk', 'approach', 'stand', 'object', 'pan')
NON_GESTURES = (*SCENES, 'people')
#: The order a subject's ``none`` takes go through: every scene, and a person standing still
#: three times, because a still person swaying is the scene most like a gesture's first
#: moments (the one H1 hybrid named a gesture on most, #22: 0.940 of its decisions ``none``
#: with 'still' once in eight takes, 0.946 with it twice).
NONE_TAKES = (*NON_GESTURES, 'still', 'still')
N_SUBJECTS, N_TRAIN_SUBJECTS = 29, 23

# The body in canonical units (pixels of a 128x128 view at scale 1), origin at the neck, y down.
_HEAD, _HEAD_R = np.array([0.0, -17.0]), 10.0
_HIP, _TORSO_R = np.array([0.0, 52.0]), 13.0
_SHOULDER_X, _SHOULDER_Y = 17.0, 4.0
_UPPER, _FORE = 23.0, 21.0
_ARM_R, _HAND_R = 3.5, 4.5
_HIPS = np.array([[-8.0, 50.0], [8.0, 50.0]])
_THIGH, _SHIN, _LEG_R = 26.0, 26.0, 5.0
_NECK_AT = np.array([64.0, 42.0])  # where the neck is in a 128x128 view


@dataclass(frozen=True)
class Subject:
    """What makes one performer look and move unlike another (all drawn per subject id)."""

    scale: float = 1.0
    offset: tuple[float, float] = (0.0, 0.0)   # px of a 128x128 view
    speed: float = 1.0                         # x the gesture's nominal frequency
    amplitude: float = 1.0
    background: float = 0.25
    shirt: float = 0.6
    skin: float = 0.8
    texture: float = 0.05                      # background texture depth
    shot_noise_hz: float = 1.0
    hot_pixel_fraction: float = 0.0
    seed: int = 0

    @classmethod
    def draw(cls, rng: np.random.Generator, seed: int) -> Subject:
        background = float(rng.uniform(0.15, 0.45))
        shirt, skin = contrasting(background, 2, rng)
        return cls(scale=float(rng.uniform(0.8, 1.15)),
                   offset=(float(rng.uniform(-12, 12)), float(rng.uniform(-6, 8))),
                   speed=float(rng.uniform(0.75, 1.3)), amplitude=float(rng.uniform(0.75, 1.2)),
                   background=background, shirt=shirt, skin=skin,
                   texture=float(rng.uniform(0.0, 0.1)),
                   shot_noise_hz=float(rng.uniform(0.05, 1.5)),
                   hot_pixel_fraction=float(rng.choice([0.0, 0.0005, 0.002])), seed=seed)


def subjects(split: str, seed: int = 0) -> list[Subject]:
    """The ``train`` (23) or ``test`` (6) subjects of dataset ``seed``; ``all`` is both."""
    return [Subject.draw(np.random.default_rng([seed, i]), seed=i)
            for i in split_ids(split, N_TRAIN_SUBJECTS, N_SUBJECTS)]


@dataclass(frozen=True)
class _Pose:
    """Joint positions in canonical units: elbow, hand, knee, foot per side (right, left)."""

    elbows: np.ndarray   # (2, 2)
    hands: np.ndarray    # (2, 2)
    sway: np.ndarray     # (2,) whole-body shift
    scale: float = 1.0   # x the subject's size (walking toward the camera grows it)
    knees: np.ndarray = field(default_factory=lambda: _HIPS + [0.0, _THIGH])
    feet: np.ndarray = field(default_factory=lambda: _HIPS + [0.0, _THIGH + _SHIN])


_SHOULDERS = np.array([[-_SHOULDER_X, _SHOULDER_Y], [_SHOULDER_X, _SHOULDER_Y]])
_SIDES = np.array([-1.0, 1.0])  # the subject's right arm points to -x


def _direction(theta: np.ndarray | float, side: float) -> np.ndarray:
    """Unit vector at angle ``theta`` from straight down, positive = away from the body."""
    return np.stack([side * np.sin(theta), np.cos(theta)], axis=-1)


def _from_angles(upper: float, fore: float, side: int) -> tuple[np.ndarray, np.ndarray]:
    elbow = _SHOULDERS[side] + _UPPER * _direction(upper, _SIDES[side])
    return elbow, elbow + _FORE * _direction(fore, _SIDES[side])


def _reach(target: np.ndarray, side: int) -> tuple[np.ndarray, np.ndarray]:
    """Two-link inverse kinematics with the elbow pointing outward."""
    shoulder = _SHOULDERS[side]
    delta = target - shoulder
    distance = float(np.clip(np.linalg.norm(delta), abs(_UPPER - _FORE) + 1.0,
                             _UPPER + _FORE - 0.5))
    toward = delta / max(np.linalg.norm(delta), 1e-6)
    bend = np.arccos(np.clip((_UPPER ** 2 + distance ** 2 - _FORE ** 2)
                             / (2 * _UPPER * distance), -1.0, 1.0))
    candidates = []
    for sign in (1.0, -1.0):
        c, s = np.cos(sign * bend), np.sin(sign * bend)
        candidates.append(shoulder + _UPPER * np.array([c * toward[0] - s * toward[1],
                                                        s * toward[0] + c * toward[1]]))
    elbow = max(candidates, key=lambda e: _SIDES[side] * e[0])
    return elbow, shoulder + distance * toward


_REST = (0.12, 0.05)


@dataclass(frozen=True)
class _Motion:
    """One performance: the gesture, its phase and frequency, and the 'other' class's
    randomness; for ``none``, the scene's kind and what moves in it."""

    gesture: int
    phase: float
    frequency_hz: float
    amplitude: float
    random: np.ndarray = field(default_factory=lambda: np.zeros(12))
    kind: str = ''                            # one of NON_GESTURES, for ``none``
    body: bool = True                         # a person in view
    legs: bool = False                        # ... seen below the hips
    drift: tuple[float, float] = (0.0, 0.0)   # canonical px/s the body moves
    growth: float = 0.0                       # log scale per second (toward the camera: > 0)
    pan: tuple[float, float] = (0.0, 0.0)     # canonical px/s the whole view moves
    thing: tuple[float, ...] = ()             # x, y, vx, vy, radius, brightness of an object

    def pose(self, t_s: float) -> _Pose:
        p = 2 * np.pi * self.frequency_hz * t_s + self.phase
        a = self.amplitude
        if self.kind:
            arms, legs = _idle(self.kind, p, a, self.random)
        else:
            arms, legs = _GESTURES[GESTURE_CLASSES[self.gesture]][0](p, a, self.random), None
        elbows, hands = zip(*arms, strict=True)
        sway = np.array([1.5 * np.sin(2 * np.pi * 0.7 * t_s + self.phase), 0.0]) \
            + np.array(self.drift) * t_s
        pose = _Pose(np.array(elbows), np.array(hands), sway, float(np.exp(self.growth * t_s)))
        return pose if legs is None else replace(pose, knees=legs[0], feet=legs[1])

    def thing_at(self, t_s: float) -> np.ndarray:
        """Where the passing object's centre is (canonical px)."""
        x, y, vx, vy = self.thing[:4]
        return np.array([x + vx * t_s, y + vy * t_s])


ArmPoses = tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


def _clap(p: float, a: float, r: np.ndarray) -> ArmPoses:
    open_x = 3.0 + 13.0 * a * (1 + np.cos(p)) / 2
    return _reach(np.array([-open_x, 22.0]), 0), _reach(np.array([open_x, 22.0]), 1)


def _one_arm(side: int, moving: tuple[np.ndarray, np.ndarray]) -> ArmPoses:
    """``moving`` on ``side``, the other arm hanging at rest."""
    resting = _from_angles(*_REST, 1 - side)
    return (moving, resting) if side == 0 else (resting, moving)


def _wave(side: int) -> Callable[[float, float, np.ndarray], ArmPoses]:
    def poses(p: float, a: float, r: np.ndarray) -> ArmPoses:
        return _one_arm(side, _from_angles(1.3, np.pi - 0.1 + 0.5 * a * np.sin(p), side))
    return poses


def _circle(side: int, clockwise: bool) -> Callable[[float, float, np.ndarray], ArmPoses]:
    """The hand circles beside the body; image y points down, so (cos p, sin p) is clockwise."""
    turn = 1.0 if clockwise else -1.0

    def poses(p: float, a: float, r: np.ndarray) -> ArmPoses:
        centre = _SHOULDERS[side] + [_SIDES[side] * 20.0, -2.0]
        return _one_arm(side, _reach(centre + 17.0 * a * np.array([np.cos(p), turn * np.sin(p)]),
                                     side))
    return poses


def _roll(p: float, a: float, r: np.ndarray) -> ArmPoses:
    centre, radius = np.array([0.0, 26.0]), 6.0 * a
    right = centre + [-4.0, 0.0] + radius * np.array([np.cos(p), np.sin(p)])
    left = centre + [4.0, 0.0] + radius * np.array([np.cos(p + np.pi), np.sin(p + np.pi)])
    return _reach(right, 0), _reach(left, 1)


def _drums(p: float, a: float, r: np.ndarray) -> ArmPoses:
    right = np.array([-12.0, 34.0 - 9.0 * a * abs(np.sin(p))])
    left = np.array([12.0, 34.0 - 9.0 * a * abs(np.sin(p + np.pi / 2))])
    return _reach(right, 0), _reach(left, 1)


def _guitar(p: float, a: float, r: np.ndarray) -> ArmPoses:
    strum = np.array([-2.0 + 2.0 * np.sin(p), 38.0 + 8.0 * a * np.sin(2 * p)])
    fretting = np.array([40.0, 18.0 + 1.5 * np.sin(3 * p)])
    return _reach(strum, 0), _reach(fretting, 1)


def _other(p: float, a: float, r: np.ndarray) -> ArmPoses:
    """Unstructured arm movement: per arm, two sinusoids of random frequency and phase."""
    arms = []
    for side in (0, 1):
        base, swing, ratio, shift, bend, fold = r[6 * side: 6 * side + 6]
        upper = base + swing * a * np.sin(ratio * p + shift)
        arms.append(_from_angles(upper, upper + bend + fold * np.sin(0.7 * ratio * p), side))
    return arms[0], arms[1]


def _legs(swing: tuple[float, float], bend: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    """Knees and feet from each thigh's swing and each knee's bend (radians, 0 hanging)."""
    knees = _HIPS + _THIGH * np.stack([np.sin(swing), np.cos(swing)], axis=-1)
    shin = np.array(swing) - np.array(bend)
    return knees, knees + _SHIN * np.stack([np.sin(shin), np.cos(shin)], axis=-1)


def _idle(kind: str, p: float, a: float, r: np.ndarray
          ) -> tuple[ArmPoses, tuple[np.ndarray, np.ndarray]]:
    """Arms and legs of a person who is not gesturing: walking swings them against each
    other at the step rate (seen from the front, a swing is a small sideways sweep); standing
    up or sitting down bends the knees and brings the arms forward; otherwise they hang, with
    the slow drift of someone standing."""
    if kind in ('walk', 'approach'):
        swing = 0.25 * a * np.sin(p)
        arms = (_from_angles(_REST[0] + swing, _REST[1] + 1.5 * swing, 0),
                _from_angles(_REST[0] - swing, _REST[1] - 1.5 * swing, 1))
        return arms, _legs((0.2 * a * np.sin(p), -0.2 * a * np.sin(p)),
                           (0.3 * max(0.0, np.sin(p)), 0.3 * max(0.0, -np.sin(p))))
    if kind == 'stand':
        bend = 0.6 + 0.5 * np.sin(0.25 * p)
        return (_from_angles(0.4 * bend, 0.8 * bend, 0), _from_angles(0.4 * bend, 0.8 * bend, 1)), \
            _legs((-0.5 * bend, 0.5 * bend), (0.3 * bend, -0.3 * bend))
    drift = 0.05 * np.sin(0.2 * p + r[0])
    return (_from_angles(_REST[0] + drift, _REST[1], 0),
            _from_angles(_REST[0] - drift, _REST[1], 1)), _legs((0.03, -0.03), (0.0, 0.0))


#: Each gesture's arm motion and nominal frequency (Hz, before the subject's speed and jitter).
_GESTURES: dict[str, tuple[Callable[[float, float, np.ndarray], ArmPoses], float]] = {
    'hand_clapping': (_clap, 1.8),
    'right_hand_wave': (_wave(0), 2.2),
    'left_hand_wave': (_wave(1), 2.2),
    'right_arm_clockwise': (_circle(0, clockwise=True), 1.1),
    'right_arm_counter_clockwise': (_circle(0, clockwise=False), 1.1),
    'left_arm_clockwise': (_circle(1, clockwise=True), 1.1),
    'left_arm_counter_clockwise': (_circle(1, clockwise=False), 1.1),
    'arm_roll': (_roll, 2.0),
    'air_drums': (_drums, 2.5),
    'air_guitar': (_guitar, 2.0),
    'other_gestures': (_other, 1.0),
}


def _view(room: np.ndarray, corner: np.ndarray, sensor: SensorSize) -> np.ndarray:
    """The sensor's window of ``room`` with its top-left at ``corner`` (x, y), sub-pixel
    positions blended bilinearly, so a turning camera sees smooth motion."""
    (x, fx), (y, fy) = ((int(np.floor(c)), c - np.floor(c)) for c in corner)
    h, w = sensor.height, sensor.width
    rows = room[y: y + h + 1, x: x + w + 1]
    top = (1 - fx) * rows[:h, :w] + fx * rows[:h, 1:w + 1]
    bottom = (1 - fx) * rows[1:h + 1, :w] + fx * rows[1:h + 1, 1:w + 1]
    return (1 - fy) * top + fy * bottom


@dataclass(frozen=True)
class GestureRenderer:
    """Turns (gesture, subject) into intensity frames and then DVS events at ``sensor`` size."""

    sensor: SensorSize = SensorSize(128, 128)
    frame_period_us: int = 2000
    params: DvsParams = DvsParams()

    def motion(self, gesture: int, subject: Subject, rng: np.random.Generator,
               kind: str = '') -> _Motion:
        """A take of ``gesture``: random phase, +-10 % frequency jitter, random 'other' moves;
        for ``none``, a scene of ``kind`` (one of NON_GESTURES)."""
        if CLASSES[gesture] == NO_GESTURE:
            return self.scene(kind, subject, rng)
        random = np.concatenate([[rng.uniform(0.1, 1.6), rng.uniform(0.3, 1.0),
                                  rng.uniform(0.5, 2.5), rng.uniform(0, 2 * np.pi),
                                  rng.uniform(-0.5, 1.5), rng.uniform(0.0, 1.0)]
                                 for _ in range(2)])
        frequency = _GESTURES[GESTURE_CLASSES[gesture]][1] * subject.speed
        return _Motion(gesture, phase=float(rng.uniform(0, 2 * np.pi)),
                       frequency_hz=float(frequency * rng.uniform(0.9, 1.1)),
                       amplitude=subject.amplitude, random=random)

    def scene(self, kind: str, subject: Subject, rng: np.random.Generator) -> _Motion:
        """A ``none`` take of ``kind``: noise alone (an empty or still room, noise up to a
        hundred times a good sensor's), a person standing still, walking across (a step a
        second, 40-150 px/s) or toward or away from the camera, standing up or sitting down
        (50-150 px/s), something crossing in front at 100-400 px/s, or the camera turning at
        20-80 px/s. In the scenes that move at a speed (walk, stand, object, pan) the camera
        turns too, at that speed in a random direction, as a camera on a moving robot does."""
        if kind not in SCENES:
            raise ValueError(f'kind must be one of {SCENES}, got {kind!r}')
        sign = float(rng.choice([-1.0, 1.0]))
        heading = rng.uniform(0, 2 * np.pi)
        speed = {'walk': rng.uniform(40, 150), 'stand': rng.uniform(50, 150),
                 'pan': rng.uniform(20, 80), 'object': rng.uniform(100, 400)}.get(kind, 0.0)
        body = kind in ('still', 'walk', 'approach', 'stand') or bool(rng.random() < 0.5)
        thing = ()
        if kind == 'object':
            start = np.array([64.0, 64.0]) - 0.12 * speed * np.array([np.cos(heading),
                                                                       np.sin(heading)])
            thing = (*start - _NECK_AT, speed * np.cos(heading), speed * np.sin(heading),
                     rng.uniform(4, 14), *contrasting(subject.background, 1, rng))
        return _Motion(len(GESTURE_CLASSES), phase=float(rng.uniform(0, 2 * np.pi)),
                       frequency_hz=float(rng.uniform(0.8, 1.2) * subject.speed),
                       amplitude=subject.amplitude, random=rng.uniform(0, 2 * np.pi, 12),
                       kind=kind, body=body, legs=bool(rng.random() < 0.6),
                       drift=(sign * speed, 0.0) if kind == 'walk' else
                       (0.0, sign * speed) if kind == 'stand' else (0.0, 0.0),
                       growth=sign * rng.uniform(0.5, 1.5) if kind == 'approach' else 0.0,
                       pan=(speed * np.cos(heading), speed * np.sin(heading)),  # 0: still
                       thing=thing)

    def frames(self, motion: _Motion, subject: Subject,
               duration_us: int) -> Iterator[tuple[int, np.ndarray]]:
        """(t_us, frame) from 0 to ``duration_us`` every ``frame_period_us``."""
        zoom = self.sensor.width / 128.0
        margin = int(np.ceil(np.abs(motion.pan).max() * zoom * duration_us * 1e-6))
        room = room_texture(SensorSize(self.sensor.width + 2 * margin + 1,
                                       self.sensor.height + 2 * margin + 1),
                            subject.background, subject.texture,
                            np.random.default_rng([subject.seed, 1]))
        for t_us in range(0, duration_us + 1, self.frame_period_us):
            t_s = t_us * 1e-6
            pose = motion.pose(t_s)
            shift = np.array(motion.pan) * zoom * t_s
            frame = _view(room, margin + shift, self.sensor)
            size = subject.scale * zoom * pose.scale
            origin = (_NECK_AT + subject.offset) * zoom + size * pose.sway - shift
            if motion.body:
                self._paint_body(frame, origin, size, pose, subject, motion.legs)
            if motion.thing:
                paint_discs(frame, (_NECK_AT + motion.thing_at(t_s)) * zoom - shift,
                            motion.thing[4] * zoom, motion.thing[5])
            yield t_us, frame

    @staticmethod
    def _paint_body(frame: np.ndarray, origin: np.ndarray, size: float, pose: _Pose,
                    subject: Subject, legs: bool) -> None:
        if legs:
            hips = origin + size * _HIPS
            knees, feet = origin + size * pose.knees, origin + size * pose.feet
            paint_capsules(frame, np.concatenate([hips, knees]), np.concatenate([knees, feet]),
                           _LEG_R * size, subject.shirt)
        elbows, hands = origin + size * pose.elbows, origin + size * pose.hands
        shoulders = origin + size * _SHOULDERS
        paint_capsules(frame, origin, origin + size * _HIP, _TORSO_R * size, subject.shirt)
        paint_discs(frame, origin + size * _HEAD, _HEAD_R * size, subject.skin)
        paint_capsules(frame, np.concatenate([shoulders, elbows]),
                       np.concatenate([elbows, hands]), _ARM_R * size, subject.shirt)
        paint_discs(frame, hands, _HAND_R * size, subject.skin)

    def events(self, gesture: int, subject: Subject, duration_us: int,
               rng: np.random.Generator, kind: str = '') -> np.ndarray:
        """Events of one take, timestamps from 0; the sensor starts adapted to the first frame.
        ``kind``: the scene of a ``none`` take (default drawn); a ``noise`` scene's sensor is
        noisier than the subject's (0.05-8 events/s a pixel, up to 1 % hot pixels)."""
        if CLASSES[gesture] == NO_GESTURE and not kind:
            kind = str(rng.choice(NON_GESTURES))
        if kind == 'people':
            return self._person(subject, duration_us, rng)
        noise = (float(np.exp(rng.uniform(np.log(0.05), np.log(8.0)))),
                 float(rng.choice([0.0, 0.002, 0.01]))) if kind == 'noise' else \
            (subject.shot_noise_hz, subject.hot_pixel_fraction)
        params = replace(self.params, shot_noise_hz=noise[0], hot_pixel_fraction=noise[1])
        simulator = DvsSimulator(self.sensor, params, rng=rng)
        chunks = []
        for t_us, frame in self.frames(self.motion(gesture, subject, rng, kind), subject,
                                       duration_us):
            if t_us == 0:
                simulator.reset(frame, 0)
            else:
                chunks.append(simulator.step(frame, t_us))
        return concatenate(chunks)


    def _person(self, subject: Subject, duration_us: int, rng: np.random.Generator
                ) -> np.ndarray:
        """A ``people`` scene: one of the pose dataset's people doing one of its movements,
        seen by one of its two cameras. Train subjects get its train people and test subjects
        its test people, so a test person is unseen here too."""
        split = 'train' if subject.seed < N_TRAIN_SUBJECTS else 'test'
        chosen = people(split)
        person = chosen[subject.seed % len(chosen)]
        camera = default_cameras(self.sensor)[int(rng.integers(2))]
        take = PeopleRenderer(cameras=(camera,)).take(int(rng.integers(len(MOVEMENTS))), person,
                                                      duration_us, rng)
        return take.events[0]


@dataclass(frozen=True)
class GestureClips:
    """Labelled clips: binary (n_bins, 2, H/downsample, W/downsample) spike tensors.

    The seed's setting is 10 ms bins, 16 of them a sample, at 128x128. ``warmup_bins`` more
    bins come first so that a network's state has settled when the 16 scored bins start, as it
    has in a continuous live stream; ``downsample`` 4 (32x32) keeps CPU training to minutes.
    """

    renderer: GestureRenderer = GestureRenderer()
    bin_us: int = 10_000
    n_bins: int = 16
    warmup_bins: int = 8
    downsample: int = 4

    @property
    def total_bins(self) -> int:
        return self.warmup_bins + self.n_bins

    @property
    def input_shape(self) -> tuple[int, int, int]:
        s = self.renderer.sensor
        return (2, s.height // self.downsample, s.width // self.downsample)

    def to_clip(self, events: np.ndarray, start_us: int = 0) -> np.ndarray:
        """The clip of the events from ``start_us`` on (later events are left out)."""
        return to_spike_tensor(events, self.renderer.sensor, t_start_us=start_us,
                               bin_us=self.bin_us, n_bins=self.total_bins,
                               downsample=self.downsample, binary=True).astype(np.uint8)

    def take(self, gesture: int, subject: Subject, rng: np.random.Generator,
             kind: str = '') -> np.ndarray:
        """Events of one take long enough for a clip."""
        return self.renderer.events(gesture, subject, self.total_bins * self.bin_us, rng, kind)

    def generate(self, split: str, takes: int, seed: int = 0, *,
                 last_subjects: int | None = None, classes: tuple[int, ...] | None = None,
                 progress: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``takes`` clips of every class (or of ``classes``, indices into CLASSES) by every
        subject of ``split`` (or by its last ``last_subjects``: the subjects a validation split
        holds out are the last ones). A subject's ``none`` takes go through NONE_TAKES in
        turn, each subject starting at another, so every scene is in every split.

        Returns clips (N, T, 2, H, W) uint8, labels (N,) int64 and subject ids (N,) int64.
        """
        chosen = subjects(split, seed)[-last_subjects:] if last_subjects else \
            subjects(split, seed)
        jobs = [(subject, label, k) for subject in chosen
                for label in (range(len(CLASSES)) if classes is None else classes)
                for k in range(takes)]
        clips = np.zeros((len(jobs), self.total_bins, *self.input_shape), np.uint8)
        for i, (subject, label, k) in enumerate(tqdm(jobs, desc=f'rendering {split} clips',
                                                     unit='clip', disable=not progress)):
            rng = np.random.default_rng([seed, subject.seed, label, k])
            kind = NONE_TAKES[(subject.seed + k) % len(NONE_TAKES)] \
                if CLASSES[label] == NO_GESTURE else ''
            clips[i] = self.to_clip(self.take(label, subject, rng, kind))
        labels = np.array([g for _, g, _ in jobs], np.int64)
        ids = np.array([s.seed for s, _, _ in jobs], np.int64)
        return clips, labels, ids

    def from_recordings(self, recordings: list[DvsGestureRecording], *,
                        progress: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Real DVS128 Gesture data in the same form: every whole clip-long window of every
        labelled segment, binned for the renderer's sensor, which must be the dataset's."""
        if self.renderer.sensor != DVS_GESTURE_SENSOR:
            raise ValueError(f'DVS128 Gesture is {DVS_GESTURE_SENSOR.width}x'
                             f'{DVS_GESTURE_SENSOR.height}; these clips are for a '
                             f'{self.renderer.sensor.width}x{self.renderer.sensor.height} sensor')
        clip_us = self.total_bins * self.bin_us
        clips, labels, ids = [], [], []
        for recording in tqdm(recordings, desc='reading recordings', unit='file',
                              disable=not progress):
            for segment, events in recording.segments():
                for start in range(0, segment.end_us - segment.start_us - clip_us + 1, clip_us):
                    clips.append(self.to_clip(events, start))
                    labels.append(segment.label)
                    ids.append(recording.subject)
        shape = (0, self.total_bins, *self.input_shape)
        return (np.stack(clips) if clips else np.zeros(shape, np.uint8),
                np.array(labels, np.int64), np.array(ids, np.int64))
