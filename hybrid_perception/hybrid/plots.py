"""Plots the gesture and pose reports share."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

__all__ = ['Point', 'labelled_scatter']


class Point(NamedTuple):
    label: str
    x: float
    y: float
    colour: str | None = None


def labelled_scatter(points: Iterable[Point], path: Path, *, xlabel: str, ylabel: str,
                     title: str | None = None) -> None:
    """One labelled dot per model on a log x axis: energy or power spans decades between the
    SNN alone and the ANN, error or accuracy does not."""
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for point in points:
        ax.scatter(point.x, point.y, color=point.colour, s=60)
        ax.annotate(point.label, (point.x, point.y), textcoords='offset points', xytext=(6, 4))
    ax.set_xscale('log')
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.grid(alpha=0.3, which='both')
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
