"""Plays a source's packets on a wall clock: real time x rate, as fast as possible, or live.

The driver node calls :meth:`PacketPlayer.due` from a timer; everything about pacing,
packetising and dropping bad events is here, where it can be tested without ROS.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

import numpy as np

from hybrid_perception.errors import HybridPerceptionError
from hybrid_perception.events.array import EventSanitizer
from hybrid_perception.events.codecs import RawPacket
from hybrid_perception.io.sources import Packetizer

__all__ = ['PacketPlayer', 'RecordedPacketPlayer']


class _Timeline:
    """Packets released when their time has come: ``rate`` 1.0 in real time, 2.0 twice as
    fast, 0 as fast as the caller takes them (a ``live`` stream as it arrives). A packet is
    due when its end, measured from the first packet's start, has elapsed on the wall clock
    (scaled by ``rate``). A source's error ends the stream there: what was read before it is
    still delivered, then every further call raises it.
    """

    live = False

    def __init__(self, rate: float) -> None:
        if rate < 0:
            raise ValueError(f'rate must be >= 0, got {rate}')
        self.rate = rate
        self._ready: deque = deque()
        self._source_done = False
        self._error: HybridPerceptionError | None = None
        self._wall0: float | None = None
        self._t0: int | None = None

    @property
    def finished(self) -> bool:
        return self._source_done and not self._ready and self._error is None

    def due(self, now_s: float, max_packets: int = 1000) -> list:
        """Packets due at wall-clock time ``now_s``, oldest first."""
        if self._wall0 is None:
            self._wall0 = now_s
        out: list = []
        while len(out) < max_packets:
            if not self._ready:
                if not self._pull():
                    break
                continue
            start, end = self._span_us(self._ready[0])
            if self._t0 is None:
                self._t0 = start
            if not self.live and self.rate > 0 and \
                    (end - self._t0) * 1e-6 / self.rate > now_s - self._wall0:
                break
            out.append(self._ready.popleft())
        if self._error is not None and not out and not self._ready:
            raise self._error
        return out

    def give_back(self, packets: list) -> None:
        """Packets :meth:`due` returned that the caller could not send yet: they are the
        first due again, in their order."""
        self._ready.extendleft(reversed(packets))

    def _pull(self) -> bool:
        """Read more into ``_ready``; False when no progress was made."""
        raise NotImplementedError

    def _next(self, source):
        """The source's next item; None at its end, or at its error (kept: ``due`` raises it
        once what was read before is out)."""
        try:
            return next(source, None)
        except HybridPerceptionError as err:
            self._error = err
            return None

    def _span_us(self, packet) -> tuple[int, int]:
        """A packet's start and end on the stream's clock."""
        raise NotImplementedError


class PacketPlayer(_Timeline):
    """Packets of a chunk stream: the source's chunks checked (``sanitizer``) and cut into
    windows of ``period_us``, released as :class:`_Timeline` says; a ``live`` stream as it
    arrives. ``due`` gives (window start µs, events) pairs."""

    def __init__(self, chunks: Iterable[np.ndarray], sanitizer: EventSanitizer, *,
                 period_us: int, rate: float = 1.0, live: bool = False) -> None:
        super().__init__(rate)
        self._chunks = iter(chunks)
        self.sanitizer = sanitizer
        self._packetizer = Packetizer(period_us)
        self.period_us = period_us
        self.live = live

    def _span_us(self, packet: tuple[int, np.ndarray]) -> tuple[int, int]:
        return packet[0], packet[0] + self.period_us

    def _pull(self) -> bool:
        """Read one chunk; False when no progress was made (idle live source, or the end)."""
        if self._source_done:
            return False
        chunk = self._next(self._chunks)
        if chunk is None:     # the end of what can be read: flush the events accepted so far
            self._source_done = True
            self._ready.extend(self._packetizer.flush())
        elif chunk.size:
            clean, _ = self.sanitizer(chunk)
            self._ready.extend(self._packetizer.push(clean))
        else:
            return False
        return True


class RecordedPacketPlayer(_Timeline):
    """A bag's EventPackets as recorded: their own boundaries and words, timed by their
    header stamps. Nothing is decoded: the readers check the words, as they do a camera
    driver's."""

    def __init__(self, packets: Iterable[RawPacket], rate: float = 1.0) -> None:
        super().__init__(rate)
        self._packets = iter(packets)

    def _span_us(self, packet: RawPacket) -> tuple[int, int]:
        return packet.stamp_us, packet.stamp_us

    def _pull(self) -> bool:
        if self._source_done:
            return False
        packet = self._next(self._packets)
        if packet is None:
            self._source_done = True
            return False
        self._ready.append(packet)
        return True
