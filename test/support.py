"""Helpers the tests import (conftest.py files are not importable by name: there are several)."""

from __future__ import annotations

import time


def spin_until(executor, predicate, timeout_s: float = 10.0) -> bool:
    """Spin until ``predicate()`` holds; False if the timeout came first."""
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        if predicate():
            return True
        executor.spin_once(timeout_sec=0.02)
    return predicate()
