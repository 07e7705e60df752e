"""How the synthetic datasets split people and schedule takes (shared by gestures and poses)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TypeVar

__all__ = ['round_robin', 'split_ids']

T = TypeVar('T')


def split_ids(split: str, n_train: int, n_total: int) -> range:
    """The subject ids of ``train`` (the first ``n_train``), ``test`` (the rest) or ``all``."""
    ids = {'train': range(n_train), 'test': range(n_train, n_total), 'all': range(n_total)}
    if split not in ids:
        raise ValueError(f'split must be one of {sorted(ids)}, got {split!r}')
    return ids[split]


def round_robin(subjects: Sequence[T], n_classes: int, samples: int
                ) -> Iterator[tuple[T, int, int]]:
    """(subject, class, take): every class of every subject, then all again as take 1 ..."""
    per_round = len(subjects) * n_classes
    for i in range(samples):
        k, rest = divmod(i, per_round)
        subject, label = divmod(rest, n_classes)
        yield subjects[subject], label, k
