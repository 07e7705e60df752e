"""Helpers the tests import (conftest.py files are not importable by name: there are several)."""

from __future__ import annotations

from hybrid_perception.ros.entry import spin_until as _spin_until


def spin_until(executor, predicate, timeout_s: float = 10.0) -> bool:
    """The package's spin helper, with a timeout always: a test waits 10 s, not forever."""
    return _spin_until(executor, predicate, timeout_s, period_s=0.02)
