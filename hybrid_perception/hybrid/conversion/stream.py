"""H3 live: one image in, one decision out, as ``image_classifier_node`` runs it.

An image of any size (grey or BGR, bytes or floats) becomes the model's input: grey levels in
[0, 1] resized to the model's side. The converted SNN codes it into spikes (``rate``: each
pixel an integrate-and-fire encoder, the deterministic form of a constant current; or
``poisson``), runs ``steps`` steps and the silent steps its last spikes need to reach the
output, on the torch runtime or Lava; the output spike counts decide. With a ``margin``, the
run stops once the leading class is that many spikes ahead of the next (checked every
``check_every`` steps): easy images then cost fewer steps, hence less time and energy (the
seed's "early decision"). The ANN it was converted from runs on the same input for the
baseline.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hybrid_perception.errors import HybridPerceptionError
from hybrid_perception.hybrid.common import DEFAULT_SNN_BACKEND
from hybrid_perception.hybrid.conversion.bundle import ConvertedBundle, rate_spikes
from hybrid_perception.networks.ann.runtime import softmax
from hybrid_perception.networks.energy.counts import OpCounter, OpCounts

__all__ = ['CODINGS', 'NETWORKS', 'ImageClassifier', 'ImageDecision', 'image_input']

CODINGS = ('rate', 'poisson')
NETWORKS = ('snn', 'ann')


def image_input(image: np.ndarray, size: int) -> np.ndarray:
    """(H, W) grey or (H, W, 3) BGR, integers (0 to the dtype's largest) or floats (0-1) ->
    (1, size, size) float32 in [0, 1] (BGR to grey by ITU-R BT.601 luma, as OpenCV does;
    resized by area averaging down, bilinear up)."""
    image = np.asarray(image)
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] != 3) or not image.size:
        raise HybridPerceptionError(f'an image must be (H, W) or (H, W, 3), got {image.shape}')
    scale = float(np.iinfo(image.dtype).max) if np.issubdtype(image.dtype, np.integer) else 1.0
    grey = np.asarray(image, np.float32) / scale
    if grey.ndim == 3:
        grey = grey @ np.array([0.114, 0.587, 0.299], np.float32)
    grey = np.nan_to_num(grey, nan=0.0).clip(0, 1)
    if grey.shape != (size, size):
        import torch  # only to resize: a node fed images of the model's size never loads it
        tensor = torch.from_numpy(np.ascontiguousarray(grey))[None, None]
        mode = 'area' if min(grey.shape) >= size else 'bilinear'
        grey = torch.nn.functional.interpolate(tensor, size=(size, size), mode=mode).numpy()[0, 0]
    return grey.clip(0, 1)[None].astype(np.float32)


@dataclass(frozen=True)
class ImageDecision:
    """One image's decision: the label (``none`` when no output neuron spiked), each class's
    probability (its share of the output spikes; the ANN's softmax), the input steps run
    (fewer than asked when decided early; 0 for the ANN) and the output spike counts."""

    label: str
    probabilities: np.ndarray
    steps: int
    counts: np.ndarray


class ImageClassifier:
    """A converted model on single images: the SNN (``backend`` compiled, torch or lava) or
    the ANN it came from (onnxruntime). ``count_ops`` counts the SNN's operations on the chip,
    on every backend."""

    def __init__(self, bundle: ConvertedBundle, network: str = 'snn',
                 backend: str = DEFAULT_SNN_BACKEND, *, steps: int = 0, coding: str = 'rate',
                 margin: int = 0, check_every: int = 8, seed: int = 0,
                 count_ops: bool = False) -> None:
        if network not in NETWORKS:
            raise HybridPerceptionError(f'network must be one of {NETWORKS}, got {network!r}')
        if coding not in CODINGS:
            raise HybridPerceptionError(f'coding must be one of {CODINGS}, got {coding!r}')
        if steps < 0 or margin < 0 or check_every < 1:
            raise HybridPerceptionError('steps and margin must be >= 0, check_every >= 1')
        self.bundle = bundle
        self.steps = steps or bundle.steps
        self.coding = coding
        self.margin = margin
        self.generator = np.random.default_rng(seed)
        self.images = 0
        self.steps_run = 0
        if network == 'ann':
            self.ann = bundle.ann_runtime()
            self.runtime = None
            return
        total = self.steps + bundle.flush_steps
        self.window = min(check_every, total) if margin else total
        self.windows = -(-total // self.window)
        self.runtime = bundle.snn_runtime(backend, self.window)
        self.counter = OpCounter(bundle.spec) if count_ops else None

    @property
    def device(self) -> str:
        return self.ann.device if self.runtime is None else type(self.runtime).__name__

    def __call__(self, image: np.ndarray) -> ImageDecision:
        x = image_input(image, self.bundle.input_size)
        self.images += 1
        if self.runtime is None:
            logits = self.ann(x[None])[0]
            probabilities = softmax(np.asarray(logits, np.float32))
            return ImageDecision(self._name(probabilities), probabilities, 0, logits)
        spikes = self._code(x)
        counts = np.zeros(len(self.bundle.classes))
        self.runtime.reset()
        for k in range(self.windows):
            window = spikes[k * self.window:(k + 1) * self.window]
            counts += self.runtime.step(window).reshape(len(window), -1).sum(0)
            if self.counter is not None:
                self.counter.add(self.runtime, window)
            if self.margin and k + 1 < self.windows and _lead(counts) >= self.margin:
                break
        steps = min(self.steps, (k + 1) * self.window)
        self.steps_run += steps
        total = counts.sum()
        probabilities = (counts / total if total else np.zeros_like(counts)).astype(np.float32)
        return ImageDecision(self._name(counts) if total else 'none', probabilities, steps,
                             counts)

    def _code(self, x: np.ndarray) -> np.ndarray:
        """(steps + flush padded to whole windows, C, H, W) input spikes."""
        if self.coding == 'rate':
            coded = rate_spikes(x[None], self.steps)[0]
        else:
            coded = (self.generator.random((self.steps, *x.shape)) < x).astype(np.float32)
        out = np.zeros((self.windows * self.window, *x.shape), np.float32)
        out[:self.steps] = coded
        return out

    def _name(self, scores: np.ndarray) -> str:
        return self.bundle.classes[int(np.argmax(scores))]

    def ops_per_image(self) -> OpCounts | None:
        """Mean operations of one image on the chip (SNN with ``count_ops``), or the ANN's
        MACs; None before any image, or where the runtime keeps no layer spikes (Lava)."""
        if self.runtime is None:
            return OpCounts(mac=self.bundle.ann_macs)
        if self.counter is None or not self.counter.windows:
            return None
        return self.counter.ops.scaled(1 / self.images)

    def mean_steps(self) -> float:
        return self.steps_run / self.images if self.images else 0.0

    def close(self) -> None:
        if self.runtime is not None:
            self.runtime.close()


def _lead(counts: np.ndarray) -> float:
    """How far the leading class is ahead of the second."""
    top = np.sort(counts)[-2:]
    return float(top[-1] - top[0])
