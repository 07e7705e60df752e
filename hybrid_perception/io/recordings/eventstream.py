"""Event Stream (``.es``, neuromorphic-paris / sepia): read by faery, the maintained reader.

ES is a byte-oriented, variable-length format (time deltas, overflow bytes), written by the
sepia / Tarsier / Chameleon tools and by faery. Its ``dvs`` and ``atis`` streams count y from
the bottom row; our arrays count from the top, so y is mirrored (as faery's own high-level
decoder does). ATIS exposure measurements are not change events and are left out.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from hybrid_perception.events.array import SensorSize, make_events
from hybrid_perception.io.recordings.reading import broken, library_errors

__all__ = ['MAGIC', 'EventStreamReader']

MAGIC = b'Event Stream'
FORMAT = 'Event Stream (.es)'


class EventStreamReader:
    """One ES file's change events, in the chunks faery decodes."""

    format = FORMAT

    def __init__(self, path: str | Path) -> None:
        from faery.extension import es
        self.path = Path(path)
        self._es = es
        with library_errors(self.path, FORMAT), es.Decoder(self.path, 0) as decoder:
            self.kind, dimensions = decoder.event_type, decoder.dimensions
        if self.kind not in ('dvs', 'atis') or dimensions is None:
            raise broken(self.path, FORMAT, f'a {self.kind!r} stream; only dvs and atis '
                                            f'streams hold change events')
        self.sensor = SensorSize(*dimensions)

    def __iter__(self) -> Iterator[np.ndarray]:
        top = self.sensor.height - 1
        with library_errors(self.path, FORMAT), self._es.Decoder(self.path, 0) as decoder:
            for chunk in decoder:
                if self.kind == 'atis':
                    chunk = chunk[~chunk['exposure']]
                    on = chunk['polarity']
                else:
                    on = chunk['on']
                if len(chunk):
                    yield make_events(chunk['t'], chunk['x'], top - chunk['y'].astype(np.int32),
                                      on)
