"""The package's exception types: callers catch these, never bare ``Exception``."""

from __future__ import annotations

__all__ = ['HybridPerceptionError', 'DataFormatError', 'EventFormatError', 'EventSourceError']


class HybridPerceptionError(Exception):
    """Base of every error this package raises on purpose."""


class DataFormatError(HybridPerceptionError):
    """A data file that cannot be read: wrong format, truncated, corrupt."""


class EventFormatError(DataFormatError):
    """Event data that cannot be decoded: wrong layout, truncated buffer, corrupt file."""


class EventSourceError(HybridPerceptionError):
    """An event source that cannot deliver: missing file, no camera, camera unplugged."""
