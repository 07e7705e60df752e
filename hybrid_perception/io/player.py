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


class PacketPlayer:
    """Packets of a chunk stream, released when their time has come.

    ``rate`` 1.0 plays in real time, 2.0 twice as fast, 0 as fast as the caller takes them.
    A ``live`` stream is released as it arrives. A packet is due when the end of its window,
    measured from the first packet, has elapsed on the wall clock (scaled by ``rate``).
    """

    def __init__(self, chunks: Iterable[np.ndarray], sanitizer: EventSanitizer, *,
                 period_us: int, rate: float = 1.0, live: bool = False) -> None:
        if rate < 0:
            raise ValueError(f'rate must be >= 0, got {rate}')
        self._chunks = iter(chunks)
        self.sanitizer = sanitizer
        self._packetizer = Packetizer(period_us)
        self.period_us = period_us
        self.rate = rate
        self.live = live
        self._ready: deque[tuple[int, np.ndarray]] = deque()
        self._source_done = False
        self._error: HybridPerceptionError | None = None
        self._wall0: float | None = None
        self._t0: int | None = None

    @property
    def finished(self) -> bool:
        return self._source_done and not self._ready and self._error is None

    def due(self, now_s: float, max_packets: int = 1000) -> list[tuple[int, np.ndarray]]:
        """Packets (window start µs, events) due at wall-clock time ``now_s``, oldest first.

        An error of the source (a corrupt file, an unplugged camera) ends the stream there:
        the events read before it are still delivered, then every further call raises it.
        """
        if self._wall0 is None:
            self._wall0 = now_s
        out: list[tuple[int, np.ndarray]] = []
        while len(out) < max_packets:
            if not self._ready:
                if not self._pull():
                    break
                continue
            stamp = self._ready[0][0]
            if self._t0 is None:
                self._t0 = stamp
            if not self.live and self.rate > 0:
                release_s = (stamp + self.period_us - self._t0) * 1e-6 / self.rate
                if release_s > now_s - self._wall0:
                    break
            out.append(self._ready.popleft())
        if self._error is not None and not out and not self._ready:
            raise self._error
        return out

    def give_back(self, packets: list[tuple[int, np.ndarray]]) -> None:
        """Packets :meth:`due` returned that the caller could not send yet: they are the
        first due again, in their order."""
        self._ready.extendleft(reversed(packets))

    def _pull(self) -> bool:
        """Read one chunk; False when no progress was made (idle live source, or the end)."""
        if self._source_done:
            return False
        try:
            chunk = next(self._chunks, None)
        except HybridPerceptionError as err:
            self._error = err
            chunk = None  # the end of what can be read: flush the events accepted so far
        if chunk is None:
            self._source_done = True
            self._ready.extend(self._packetizer.flush())
        elif chunk.size:
            clean, _ = self.sanitizer(chunk)
            self._ready.extend(self._packetizer.push(clean))
        else:
            return False
        return True


class RecordedPacketPlayer:
    """A bag's EventPackets released on a wall clock as recorded: their own boundaries and
    words, timed by their header stamps (``rate`` as :class:`PacketPlayer`'s). Nothing is
    decoded: the readers check the words, as they do a camera driver's.

    A reading error (a corrupt bag) ends the stream there: the packets before it are still
    delivered, then every further call raises it.
    """

    def __init__(self, packets: Iterable[RawPacket], rate: float = 1.0) -> None:
        if rate < 0:
            raise ValueError(f'rate must be >= 0, got {rate}')
        self._packets = iter(packets)
        self.rate = rate
        self._ready: deque[RawPacket] = deque()
        self._source_done = False
        self._error: HybridPerceptionError | None = None
        self._wall0: float | None = None
        self._t0: int | None = None

    @property
    def finished(self) -> bool:
        return self._source_done and not self._ready and self._error is None

    def due(self, now_s: float, max_packets: int = 1000) -> list[RawPacket]:
        """Packets whose stamp, measured from the first, has come at ``now_s``, oldest first."""
        if self._wall0 is None:
            self._wall0 = now_s
        out: list[RawPacket] = []
        while len(out) < max_packets:
            if not self._ready:
                if self._source_done:
                    break
                try:
                    packet = next(self._packets, None)
                except HybridPerceptionError as err:
                    self._error, packet = err, None
                if packet is None:
                    self._source_done = True
                    break
                self._ready.append(packet)
            packet = self._ready[0]
            if self._t0 is None:
                self._t0 = packet.stamp_us
            if self.rate > 0 and (packet.stamp_us - self._t0) * 1e-6 / self.rate \
                    > now_s - self._wall0:
                break
            out.append(self._ready.popleft())
        if self._error is not None and not out and not self._ready:
            raise self._error
        return out

    def give_back(self, packets: list[RawPacket]) -> None:
        """Packets :meth:`due` returned that the caller could not send yet."""
        self._ready.extendleft(reversed(packets))
