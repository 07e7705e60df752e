"""The package's exception types: callers catch these, never bare ``Exception``."""

from __future__ import annotations

__all__ = ['HybridPerceptionError', 'EventFormatError', 'EventSourceError']


class HybridPerceptionError(Exception):
    """Base of every error this package raises on purpose."""


class EventFormatError(HybridPerceptionError):
    """Event data that cannot be decoded: wrong layout, truncated buffer, corrupt file."""


class EventSourceError(HybridPerceptionError):
    """An event source that cannot deliver: missing file, no camera, camera unplugged."""
