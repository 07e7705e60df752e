"""Training H2 on the synthetic people (or DHP19, :mod:`.recorded`): the data, and the seed's
recipe in three stages.

1. The ANN (encoder and pose head) on the pose at the end of its 100 ms histogram. It is also
   the ANN baseline, and is frozen from here on.
2. The hybrid: the ANN's state heads, the SNN and the readout together, through the SNN's
   window from the states the heads set. The loss is the seed's: 0.95 x the pose error plus
   0.05 x the mismatch between the SNN's state at a window's end and the state the heads give
   for the next window, so that re-initializing does not jolt the network. The pose term is
   in units of the ANN's validation error, so the two terms are of one order.
3. The SNN alone, from a zero state: every sample is played after the window before it, so the
   network is warm, as in a stream, and only the second window is scored.

Train, validation and test people are disjoint (the last ``val_people`` training people choose
the epoch). Every stage keeps its best validation epoch.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from hybrid_perception.datasets.people import N_TRAIN_PEOPLE, PeopleRenderer, PoseTake
from hybrid_perception.geometry.joints import JOINTS, mpjpe
from hybrid_perception.hybrid.pose.model import PoseSnn, StateInitializer
from hybrid_perception.hybrid.pose.spec import PoseSpec
from hybrid_perception.hybrid.pose.windows import PoseSamples
from hybrid_perception.networks.training import resolve_device, train_epochs

__all__ = ['PoseTraining', 'StageCheckpoints', 'delivered', 'following', 'pose_samples',
           'split_validation', 'train_ann', 'train_hybrid', 'train_snn_alone']


@dataclass(frozen=True)
class PoseTraining:
    """Everything that decides trained pose models, besides their spec."""

    takes: int = 2                  # takes per training person and movement
    take_us: int = 2_000_000
    val_people: int = 2             # training people held out to choose the epoch
    people: int = N_TRAIN_PEOPLE    # training people rendered (the last ones; fewer: a smoke run)
    stride_us: int = 100_000        # training windows start every 100 ms (back to back)
    ann_epochs: int = 12
    snn_epochs: int = 8
    batch_size: int = 16
    lr: float = 1e-3
    state_weight: float = 0.05      # the seed's 0.95 / 0.05 split of the loss
    max_shift_px: int = 0           # training windows move by up to this (person and poses)
    partial_views: float = 0.0      # share of training windows cut below a row under the hips
    seed: int = 0
    device: str = 'auto'
    renderer: PeopleRenderer = field(default_factory=PeopleRenderer)

    def render(self, split: str, *, progress: bool = True) -> list[PoseTake]:
        return self.renderer.takes(split, self.takes, self.take_us, self.seed,
                                   last_people=self.people if split == 'train' else None,
                                   progress=progress)


class StageCheckpoints:
    """Each finished stage's weights and validation history in ``folder``, so an interrupted
    run (hours on DHP19) resumes after its last finished stage. A checkpoint is written once
    its stage is done and read back only by a run of the same spec and settings (``key``);
    weights load with ``weights_only``: a checkpoint file runs no code."""

    def __init__(self, folder: Path, key: dict, *, resume: bool) -> None:
        self.folder = Path(folder)
        self.key = json.dumps(key, sort_keys=True, default=str)
        self.resume = resume

    def load(self, stage: str, modules: list[torch.nn.Module]) -> list[dict] | None:
        """The stage's history, its weights loaded into ``modules``; None to train it."""
        path = self.folder / f'{stage}.pt'
        if not (self.resume and path.is_file()):
            return None
        saved = torch.load(path, map_location='cpu', weights_only=True)
        if saved.get('key') != self.key:
            raise ValueError(f'--resume: {path} was trained with another spec or settings; '
                             f'give another --out, or leave out --resume to train again')
        for module, state in zip(modules, saved['states'], strict=True):
            module.load_state_dict(state)
        print(f'stage {stage} resumed from {path}')
        return saved['history']

    def save(self, stage: str, modules: list[torch.nn.Module], history: list[dict]) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f'{stage}.pt'
        torch.save({'key': self.key, 'history': history,
                    'states': [m.state_dict() for m in modules]}, path.with_suffix('.tmp'))
        path.with_suffix('.tmp').replace(path)       # a stage is there whole or not at all


def pose_samples(spec: PoseSpec, takes: list[PoseTake], stride_us: int | None = None, *,
                 progress: bool = True) -> tuple[PoseSamples, np.ndarray, np.ndarray]:
    """Windows of every view of every take, with each window's person and stream (take x view)
    ids, so that windows of one stream can be played in order."""
    parts, person, stream = [], [], []
    jobs = [(take, view) for take in takes for view in range(len(take.events))]
    for k, (take, view) in enumerate(tqdm(jobs, desc='cutting windows', unit='view',
                                          disable=not progress)):
        part = spec.windows.from_take(take, view, stride_us)
        parts.append(part)
        person += [take.person] * len(part)
        stream += [k] * len(part)
    return PoseSamples.concatenate(parts), np.array(person), np.array(stream)


def split_validation(samples: PoseSamples, person: np.ndarray, stream: np.ndarray,
                     val_people: int) -> dict[str, tuple[PoseSamples, np.ndarray]]:
    """Training windows by person: the last ``val_people`` validate."""
    held_out = person >= N_TRAIN_PEOPLE - val_people
    return {name: (samples.select(mask), stream[mask])
            for name, mask in (('train', ~held_out), ('val', held_out))}


def following(samples: PoseSamples, stream: np.ndarray, offset_us: int) -> np.ndarray:
    """For each window, the index of the window of its stream that starts ``offset_us`` later
    (negative: earlier), or -1."""
    where = {(s, t): i for i, (s, t) in enumerate(zip(stream.tolist(),
                                                      samples.start_us.tolist(), strict=True))}
    return np.array([where.get((s, t + offset_us), -1)
                     for s, t in zip(stream.tolist(), samples.start_us.tolist(), strict=True)])


class _Views:
    """Where each training window's person is, and how much of them the camera sees.

    Moved (#22: the people of a take stand near the frame's centre, so without moving them a
    network learns a template, not where the events are): up to ``max_shift_px`` either way,
    whole cells of the networks' grid. Cut (#22: seen from the waist up, a network trained on
    whole bodies fits the whole skeleton into the visible events, legs on the torso): a share
    ``partial_views`` of windows blank below a row drawn between the hips and the lower foot
    (:meth:`PoseSamples.cut_below`), then moved down until that row is the frame's lower edge,
    as a camera framing the waist up sees it. A body that ends mid-frame is then always a whole
    body: cut views left mid-frame taught a network that blank rows under a body hide legs, and
    it drew the legs of a person moved up below their feet (an upward shift ratio of 0.78).
    A window and the one after it drawn together get the same (:meth:`draw` once,
    :meth:`batch` for each)."""

    def __init__(self, spec: PoseSpec, settings: PoseTraining, stage: int) -> None:
        self.downsample = spec.windows.downsample
        self.rows = spec.windows.input_shape[1]
        self.cells = settings.max_shift_px // self.downsample
        self.partial = settings.partial_views
        self.rng = np.random.default_rng([settings.seed, stage])

    def draw(self, n: int) -> tuple[np.ndarray | None, np.ndarray | None]:
        """Per window: its move in cells (or None: none moves) and where between the hips (0)
        and the lower foot (1) its view ends (NaN: whole; or None: none is cut)."""
        cells = self.rng.integers(-self.cells, self.cells + 1, (n, 2)) if self.cells else None
        if not self.partial:
            return cells, None
        cuts = self.rng.random(n)
        cuts[self.rng.random(n) >= self.partial] = np.nan
        return cells, cuts

    def batch(self, samples: PoseSamples, index: np.ndarray,
              drawn: tuple[np.ndarray | None, np.ndarray | None]) -> PoseSamples:
        cells, cuts = drawn
        batch = samples.select(index)
        if cuts is not None:
            pose = batch.start_pose[..., 1]
            hips, feet = pose[:, _HIPS].max(axis=1), pose[:, _FEET].max(axis=1)
            rows = hips + cuts * (feet - hips)
            batch = batch.cut_below(rows, self.downsample)
            cut = np.isfinite(rows)
            cells = np.zeros((len(batch), 2), np.int64) if cells is None else cells.copy()
            first = np.ceil(rows[cut] / self.downsample)
            cells[cut, 1] = np.maximum(self.rows - first, 0)
        if cells is not None:
            batch = batch.moved(cells, self.downsample)
        return batch

    @staticmethod
    def subset(drawn: tuple[np.ndarray | None, np.ndarray | None], mask: np.ndarray
               ) -> tuple[np.ndarray | None, np.ndarray | None]:
        return tuple(None if part is None else part[mask] for part in drawn)


_HIPS = [JOINTS.index('hipR'), JOINTS.index('hipL')]
_FEET = [JOINTS.index('footR'), JOINTS.index('footL')]


def _pose_mse(predicted: torch.Tensor, truth: torch.Tensor) -> torch.Tensor:
    """Mean squared error over the joints the truth knows: DHP19's motion capture loses
    joints (NaN), which must not reach the gradient."""
    known = torch.isfinite(truth)
    if bool(known.all()):
        return F.mse_loss(predicted, truth)
    return F.mse_loss(predicted[known], truth[known])


def _tensor(array: np.ndarray, device: torch.device) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(array)).float().to(device)


def delivered(snn: np.ndarray) -> np.ndarray:
    """(N, 1 + steps, C, H, W) stored spikes -> SLAYER's (N, C, H, W, steps) as the runtime
    delivers them: the lead step first, the window's last step held back."""
    return np.moveaxis(snn[:, :-1], 1, -1)


Loss = Callable[[np.ndarray], torch.Tensor]


def _fit(modules: list[torch.nn.Module], loss: Loss, val_error: Callable[[], float],
         n_train: int, epochs: int, settings: PoseTraining, name: str, *,
         progress: bool) -> list[dict[str, float]]:
    """The shared loop (:func:`~hybrid_perception.networks.training.train_epochs`) with its
    rate annealed, over windows in random batches; leaves ``modules`` at the best validation
    epoch."""
    n_batches = max(1, n_train // settings.batch_size)
    order = np.random.default_rng(settings.seed)
    history: list[dict[str, float]] = []
    best: list = [np.inf, None]

    def end_epoch(epoch: int, mean_loss: float) -> str:
        with torch.no_grad():
            error = val_error()
        history.append({'epoch': epoch, 'loss': mean_loss, 'val_error_px': error})
        if error <= best[0]:
            best[:] = error, [copy.deepcopy(m.state_dict()) for m in modules]
        return f'validation error {error:.2f} px'

    train_epochs(modules, lambda: np.array_split(order.permutation(n_train), n_batches),
                 lambda index: (loss(np.sort(index)), len(index)), end_epoch, epochs=epochs,
                 lr=settings.lr, n_batches=n_batches, anneal=True, name=name,
                 progress=progress)
    for m, state in zip(modules, best[1], strict=True):
        m.load_state_dict(state)
    return history


def _predict(predict: Callable[[np.ndarray], torch.Tensor], n: int,
             size: int = 64) -> np.ndarray:
    """``predict(index)`` of all ``n`` windows, a batch at a time (a whole split at once
    would not fit beside the data)."""
    batches = np.array_split(np.arange(n), max(1, -(-n // size)))
    return np.concatenate([predict(i).cpu().numpy() for i in batches])


def train_ann(spec: PoseSpec, data: dict[str, tuple[PoseSamples, np.ndarray]],
              settings: PoseTraining, *, progress: bool = True
              ) -> tuple[StateInitializer, list[dict[str, float]]]:
    """Stage 1: encoder and pose head on the pose at each window's start."""
    device = resolve_device(settings.device)
    torch.manual_seed(settings.seed)
    model = StateInitializer(spec).to(device)
    train, val = data['train'][0], data['val'][0]
    views = _Views(spec, settings, 1)

    def loss(index: np.ndarray) -> torch.Tensor:
        batch = views.batch(train, index, views.draw(len(index)))
        predicted = spec.to_pixels(model(_tensor(batch.ann, device)))
        return _pose_mse(predicted, _tensor(batch.start_pose, device))

    def val_error() -> float:
        return mpjpe(_predict(lambda i: spec.to_pixels(model(_tensor(val.select(i).ann,
                                                                     device))),
                              len(val)), val.start_pose)

    history = _fit([model], loss, val_error, len(train), settings.ann_epochs, settings, 'ANN',
                   progress=progress)
    return model.cpu(), history


def train_hybrid(spec: PoseSpec, ann: StateInitializer,
                 data: dict[str, tuple[PoseSamples, np.ndarray]], settings: PoseTraining, *,
                 progress: bool = True) -> tuple[StateInitializer, PoseSnn, list[dict]]:
    """Stage 2: state heads, SNN and readout from the frozen ANN's states and pose."""
    device = resolve_device(settings.device)
    torch.manual_seed(settings.seed)
    initializer = copy.deepcopy(ann).to(device)
    for module in (initializer.encoder, initializer.hidden, initializer.pose_out):
        module.requires_grad_(False)
    snn = PoseSnn(spec).to(device)
    train, train_stream = data['train']
    val = data['val'][0]
    following_window = following(train, train_stream, spec.windows.window_us)
    with torch.no_grad():
        predicted = _predict(lambda i: spec.to_pixels(initializer(_tensor(val.select(i).ann,
                                                                          device))), len(val))
    reference = float(np.nanmean((predicted - val.start_pose) ** 2))
    views = _Views(spec, settings, 2)

    def run(batch: PoseSamples) -> tuple[torch.Tensor, list]:
        with torch.no_grad():
            features = initializer.features(_tensor(batch.ann, device))
        spikes, final = snn(_tensor(delivered(batch.snn), device),
                            initializer.states(features))
        return spec.to_pixels(snn.read_out(spikes, initializer.pose(features))), final

    def loss(index: np.ndarray) -> torch.Tensor:
        drawn = views.draw(len(index))
        batch = views.batch(train, index, drawn)
        poses, final = run(batch)
        pose_loss = _pose_mse(poses, _tensor(batch.targets, device)) / reference
        has_next = following_window[index] >= 0
        if not has_next.any():
            return pose_loss
        after = views.batch(train, following_window[index][has_next],
                            views.subset(drawn, has_next))
        with torch.no_grad():
            features = initializer.features(_tensor(after.ann, device))
        targets = initializer.states(features)
        state_loss = sum(F.mse_loss(state[has_next], target)
                         for pair, target_pair in zip(final, targets, strict=True)
                         for state, target in zip(pair, target_pair, strict=True))
        return ((1 - settings.state_weight) * pose_loss
                + settings.state_weight * state_loss / (2 * len(final)))

    def val_error() -> float:
        return mpjpe(_predict(lambda i: run(val.select(i))[0], len(val)), val.targets)

    history = _fit([initializer, snn], loss, val_error, len(train), settings.snn_epochs,
                   settings, 'hybrid', progress=progress)
    return initializer.cpu(), snn.cpu(), history


def train_snn_alone(spec: PoseSpec, data: dict[str, tuple[PoseSamples, np.ndarray]],
                    settings: PoseTraining, *, progress: bool = True
                    ) -> tuple[PoseSnn, list[dict]]:
    """Stage 3, the baseline: the SNN from a zero state, warmed up on the window before."""
    device = resolve_device(settings.device)
    torch.manual_seed(settings.seed)
    snn = PoseSnn(spec, alone=True).to(device)
    steps = spec.windows.steps

    def pairs(split: str) -> tuple[PoseSamples, np.ndarray, np.ndarray]:
        samples, stream = data[split]
        before = following(samples, stream, -spec.windows.window_us)
        keep = np.flatnonzero(before >= 0)
        return samples, keep, before[keep]

    def run(before: PoseSamples, now: PoseSamples) -> torch.Tensor:
        spikes = torch.cat([_tensor(delivered(before.snn), device),
                            _tensor(delivered(now.snn), device)], dim=-1)
        out, _ = snn(spikes)
        return spec.to_pixels(snn.read_out(out, None))[:, steps:]

    train, train_keep, train_before = pairs('train')
    val, val_keep, val_before = pairs('val')
    views = _Views(spec, settings, 3)

    def loss(index: np.ndarray) -> torch.Tensor:
        drawn = views.draw(len(index))
        now = views.batch(train, train_keep[index], drawn)
        return _pose_mse(run(views.batch(train, train_before[index], drawn), now),
                         _tensor(now.targets, device))

    def val_error() -> float:
        return mpjpe(_predict(lambda i: run(val.select(val_before[i]), val.select(val_keep[i])),
                              len(val_keep)), val.targets[val_keep])

    history = _fit([snn], loss, val_error, len(train_keep), settings.snn_epochs, settings,
                   'SNN alone', progress=progress)
    return snn.cpu(), history
