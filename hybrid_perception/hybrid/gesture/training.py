"""Training H1 on gesture clips: the data splits, one SxAy model, and the seed's sweep.

Train, validation and test subjects are disjoint: the dataset's 23 training subjects give the
last ``val_subjects`` for choosing the epoch, and the 6 test subjects are touched only to
score the chosen model.

The recipe: the all-ANN cut is trained first, and every cut with spiking layers starts from its
weights (:meth:`~.model.HybridClassifier.copy_layers_from`) and is then trained through
the surrogate gradient with each clip preceded by another (``context_steps``), as in a stream.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch

from hybrid_perception.datasets.dvs_gesture import recordings
from hybrid_perception.datasets.gesture_classes import CLASSES, NO_GESTURE
from hybrid_perception.datasets.gestures import N_TRAIN_SUBJECTS, NONE_TAKES, GestureClips
from hybrid_perception.errors import HybridPerceptionError
from hybrid_perception.hybrid.gesture.bundle import ClassifierBundle, InputBinning, save_bundle
from hybrid_perception.hybrid.gesture.calibration import calibrate
from hybrid_perception.hybrid.gesture.model import (
    HybridClassifier,
    IntervalObjective,
    stream_accuracy,
    streamed,
)
from hybrid_perception.hybrid.gesture.spec import HybridSpec
from hybrid_perception.networks.training import Dataset, TrainConfig, evaluate, fit
from hybrid_perception.networks.weights import load_weights

__all__ = ['GestureTraining', 'calibrate_bundle', 'gesture_data', 'sweep_specs',
           'train_model']


@dataclass(frozen=True)
class GestureTraining:
    """Everything that decides a trained gesture model, besides its spec."""

    takes: int = 8              # clips per training subject and gesture
    test_takes: int = 4         # ... per test subject and gesture
    val_subjects: int = 3       # training subjects held out to choose the epoch
    subjects: int = N_TRAIN_SUBJECTS  # training subjects rendered (the last; fewer: a smoke run)
    epochs: int = 15
    batch_size: int = 16
    lr: float = 2e-3
    max_shift_px: int = 3
    context_steps: int = 16     # steps of another clip before each clip (see IntervalObjective)
    start_from_ann: bool = True  # spiking cuts start from the trained all-ANN cut's weights
    finetune_epochs: int = 8     # ... and are then trained this long, at this rate: at the
    finetune_lr: float = 5e-4    # ANN's 2e-3 the hybrid peaked early and drifted (0.864)
    synops_weight: float = 0.0   # loss per 1e5 SynOps per decision (IntervalObjective.penalty)
    seed: int = 0
    device: str = 'auto'
    clips: GestureClips = field(default_factory=GestureClips)

    @property
    def binning(self) -> InputBinning:
        sensor = self.clips.renderer.sensor
        return InputBinning(sensor.width, sensor.height, self.clips.bin_us,
                            self.clips.downsample, self.clips.warmup_bins)

    def objective(self, spec: HybridSpec) -> IntervalObjective:
        return IntervalObjective(spec.interval, self.binning.warmup_steps, self.context_steps,
                                 self.max_shift_px, self.synops_weight)

    def train_config(self, *, finetune: bool = False) -> TrainConfig:
        return TrainConfig(epochs=self.finetune_epochs if finetune else self.epochs,
                           batch_size=self.batch_size,
                           lr=self.finetune_lr if finetune else self.lr, seed=self.seed,
                           device=self.device)


def gesture_data(settings: GestureTraining, cache: Path | None = None, *,
                 dvs_gesture: Path | None = None,
                 progress: bool = True) -> dict[str, Dataset]:
    """Clips for ``train``, ``val`` and ``test``, reused from ``cache`` if it matches: rendered
    from the synthetic subjects, or, with ``dvs_gesture`` (the extracted ``DvsGesture``
    folder), read from the real DVS128 Gesture recordings with the dataset's own split
    (``trials_to_train.txt`` / ``trials_to_test.txt``) with synthetic ``none`` clips beside
    them (the dataset has no such class); either way the last ``val_subjects`` training
    subjects validate."""
    key = json.dumps({'classes': CLASSES, 'none_scenes': NONE_TAKES, 'takes': settings.takes,
                      'test_takes': settings.test_takes, 'val_subjects': settings.val_subjects,
                      'subjects': settings.subjects,
                      'seed': settings.seed, 'clips': repr(settings.clips),
                      'dvs_gesture': str(dvs_gesture.resolve()) if dvs_gesture else None})
    if cache is not None and cache.is_file():
        with np.load(cache) as saved:
            if str(saved['key']) == key:
                return {split: (saved[f'{split}_clips'], saved[f'{split}_labels'])
                        for split in ('train', 'val', 'test')}
    if dvs_gesture is not None:
        clips, labels, subjects = settings.clips.from_recordings(
            recordings(dvs_gesture, 'train'), progress=progress)
        ids = np.unique(subjects)
        if ids.size <= settings.val_subjects:
            raise HybridPerceptionError(
                f'{dvs_gesture}: the training split holds {ids.size} subjects with whole clips; '
                f'{settings.val_subjects} validate, so more are needed')
        none = (CLASSES.index(NO_GESTURE),)
        synthetic = settings.clips.generate('train', settings.takes, settings.seed,
                                            classes=none, progress=progress)
        held_out = np.concatenate([
            np.isin(subjects, ids[-settings.val_subjects:]),
            synthetic[2] >= N_TRAIN_SUBJECTS - settings.val_subjects])
        clips, labels = (np.concatenate([real, made]) for real, made in
                         zip((clips, labels), synthetic[:2], strict=True))
        test = tuple(np.concatenate(pair) for pair in zip(
            settings.clips.from_recordings(recordings(dvs_gesture, 'test'),
                                           progress=progress)[:2],
            settings.clips.generate('test', settings.test_takes, settings.seed, classes=none,
                                    progress=progress)[:2], strict=True))
    else:
        clips, labels, subjects = settings.clips.generate('train', settings.takes,
                                                          settings.seed,
                                                          last_subjects=settings.subjects,
                                                          progress=progress)
        test = settings.clips.generate('test', settings.test_takes, settings.seed,
                                       progress=progress)[:2]
        held_out = subjects >= N_TRAIN_SUBJECTS - settings.val_subjects
    data = {'train': (clips[~held_out], labels[~held_out]),
            'val': (clips[held_out], labels[held_out]),
            'test': test}
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        np.savez(cache, key=key, **{f'{split}_{part}': array for split, pair in data.items()
                                    for part, array in zip(('clips', 'labels'), pair,
                                                           strict=True)})
    return data


def train_model(spec: HybridSpec, data: dict[str, Dataset], settings: GestureTraining,
                out: str | Path, *, start_from: HybridClassifier | None = None,
                progress: bool = True) -> ClassifierBundle:
    """Train one SxAy model (from ``start_from``'s weights if given), keep its best validation
    epoch, score it on the test subjects clip by clip and as one stream, calibrate its
    probabilities (:mod:`.calibration`), and write it as a deployable bundle to ``out``."""
    out = Path(out)
    objective = settings.objective(spec)
    torch.manual_seed(settings.seed)
    model = HybridClassifier(spec)
    if start_from is not None:
        model.copy_layers_from(start_from)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as checkpoints:  # the bundle keeps the best weights
        result = fit(model, objective, data['train'], data['val'],
                     settings.train_config(finetune=start_from is not None), checkpoints,
                     progress=progress)
        best_weights = load_weights(result.best_checkpoint)['state_dict']
    seconds = time.perf_counter() - started
    model = HybridClassifier(spec)
    model.load_state_dict(best_weights)
    best = max(result.history, key=lambda s: s.val_accuracy)
    metrics = {'test_accuracy': evaluate(model, objective, data['test']),
               'stream_test_accuracy': stream_accuracy(model, objective, data['test']),
               'val_accuracy': best.val_accuracy, 'epoch': best.epoch,
               'started_from': start_from.spec.name if start_from is not None else 'scratch',
               'synops_weight': settings.synops_weight,
               'train_seconds': round(seconds, 1),
               'history': [asdict(s) for s in result.history]}
    return save_bundle(model, out, settings.binning,
                       {**metrics, **_calibration(model, objective, data)})


def calibrate_bundle(bundle: ClassifierBundle, data: dict[str, Dataset],
                     settings: GestureTraining) -> ClassifierBundle:
    """A bundle trained before models were calibrated, calibrated and written again."""
    model = bundle.model()
    return save_bundle(model, bundle.path, bundle.binning, {
        **bundle.metrics, **_calibration(model, settings.objective(model.spec), data)})


def _calibration(model: HybridClassifier, objective: IntervalObjective,
                 data: dict[str, Dataset]) -> dict[str, float]:
    model = model.cpu()
    return calibrate(streamed(model, objective, data['val']),
                     streamed(model, objective, data['test'])).to_metrics()


def sweep_specs(base: HybridSpec, spiking: Iterable[int], intervals: Iterable[int]
                ) -> list[HybridSpec]:
    """The seed's table: every cut x for every interval I, plus both baselines per I."""
    n = len(base.layers)
    return [base.cut(x, i) for i in intervals for x in sorted({0, *spiking, n})]
