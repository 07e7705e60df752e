"""event_camera_msgs/EventPacket without ROS: a packet's fields, decoding one stream of them
into our events, and encoding events into one.

The ROS 2 event-camera drivers (metavision_driver, libcaer_driver) publish the camera's own
words and leave decoding to the subscriber; this is our subscriber's side. Sensor time
becomes the stream's time (the header stamps) through one offset, fixed at the first packet
and re-anchored only when stamps and sensor time drift apart by more than ``resync_us``: per
packet offsets would carry the stamps' jitter into the events and send time backwards at
packet joins.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import numpy as np

from hybrid_perception.errors import EventFormatError
from hybrid_perception.events.array import EVENT_DTYPE
from hybrid_perception.events.codecs import evt2, evt3, evt21, libcaer, mono
from hybrid_perception.events.kernels import columns
from hybrid_perception.events.pointcloud import us_from_stamp

__all__ = ['ENCODINGS', 'CODECS', 'RawPacket', 'DecodeCounts', 'PacketDecoder', 'PacketStream',
           'encode_packet', 'warm_up']

#: encoding -> (word dtype, most events one word holds)
_WORDS = {'evt3': (evt3.WORD, 12), 'evt2': (evt2.WORD, 1), 'libcaer': (libcaer.RECORD, 1),
          'libcaer_cmp': (libcaer.CMP_WORD, 8), 'mono': (mono.WORD, 1), 'evt21': (evt21.WORD, 32)}
#: what the ROS 2 event-camera drivers put in EventPacket; evt21 is read from RAW files only
ENCODINGS = ('evt3', 'evt2', 'libcaer', 'libcaer_cmp', 'mono')
#: every encoding decoded and encoded here
CODECS = tuple(_WORDS)
#: the largest coordinate each encoding can carry
_MAX_SIZE = {'evt3': 2048, 'evt2': 2048, 'libcaer': 32768, 'libcaer_cmp': 2048, 'mono': 32768,
             'evt21': 2048}


@dataclass(frozen=True)
class RawPacket:
    """The fields of one event_camera_msgs/EventPacket (``stamp_us``: its header stamp)."""

    encoding: str
    width: int
    height: int
    data: bytes
    time_base: int = 0
    seq: int = 0
    stamp_us: int = 0
    is_bigendian: bool = False

    @classmethod
    def of_message(cls, msg) -> RawPacket:
        """The fields of an EventPacket message, rclpy's or rosbags' (the same names)."""
        stamp = msg.header.stamp
        return cls(msg.encoding, msg.width, msg.height, msg.events, msg.time_base, msg.seq,
                   us_from_stamp(stamp.sec, stamp.nanosec), msg.is_bigendian)


@dataclass
class DecodeCounts:
    """What a packet held that did not become an event."""

    unknown_words: int = 0   # reserved word types, invalid libcaer events
    off_sensor: int = 0      # coordinates outside the packet's width x height
    untimed: int = 0         # events before the stream's first complete time
    trailing_bytes: int = 0  # a last word cut short

    def add(self, other: DecodeCounts) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    @property
    def total(self) -> int:
        return sum(getattr(self, f.name) for f in fields(self))

    def __str__(self) -> str:
        return ', '.join(f'{getattr(self, f.name)} {f.name.replace("_", " ")}'
                         for f in fields(self) if getattr(self, f.name))


def _largest_side(encoding: str) -> int:
    """The largest sensor side ``encoding`` carries; an unknown encoding is refused here."""
    if encoding not in _MAX_SIZE:
        raise EventFormatError(f'unknown encoding {encoding!r}; known: {", ".join(CODECS)}')
    return _MAX_SIZE[encoding]


class PacketDecoder:
    """Decodes one stream's packets of one encoding into events in sensor time (µs),
    carrying the state the encoding keeps from packet to packet."""

    def __init__(self, encoding: str) -> None:
        _largest_side(encoding)
        self.encoding = encoding
        self.state = {'evt3': evt3.new_state, 'evt2': evt2.new_state, 'evt21': evt21.new_state,
                      'libcaer_cmp': libcaer.new_cmp_state}.get(encoding, lambda: None)()
        self.first_time: int | None = None

    def decode(self, packet: RawPacket) -> tuple[np.ndarray, DecodeCounts]:
        """The packet's events and what did not decode; ``first_time`` is then the sensor time
        of its first event, kept or not (the time its header stamp stands for), or None."""
        word, per_word = _WORDS[self.encoding]
        raw = np.frombuffer(packet.data, np.uint8)
        usable = raw.size - raw.size % word.itemsize
        words = raw[:usable].view(word.newbyteorder('>') if packet.is_bigendian else word)
        events = np.empty(max(1, words.size * per_word), EVENT_DTYPE)
        out = (packet.width, packet.height, events.view(np.int64).reshape(-1, 2),
               np.array([0, 0, 0, -1], np.int64))
        if self.encoding == 'evt3':
            n = evt3.decode_words(words.astype(evt3.WORD, copy=False), self.state, *out)
        elif self.encoding == 'evt2':
            n = evt2.decode_words(words.astype(evt2.WORD, copy=False), self.state, *out)
        elif self.encoding == 'evt21':
            n = evt21.decode_words(words.astype(evt21.WORD, copy=False), self.state, *out)
        elif self.encoding == 'libcaer':
            words = words.astype(libcaer.RECORD, copy=False)
            n = libcaer.decode_records(words['data'], words['timestamp'],
                                       packet.time_base // 1000, *out)
        elif self.encoding == 'libcaer_cmp':
            n = libcaer.decode_cmp_words(words.astype(libcaer.CMP_WORD, copy=False), self.state,
                                         packet.time_base // 1000, *out)
        else:
            n = mono.decode_words(words.astype(mono.WORD, copy=False), packet.time_base, *out)
        counts = out[-1]
        self.first_time = int(counts[3]) if counts[3] >= 0 else None
        return events[:n], DecodeCounts(int(counts[0]), int(counts[1]), int(counts[2]),
                                        raw.size - usable)


@dataclass
class PacketStream:
    """One topic of EventPacket messages -> events on the stream's clock (µs).

    ``push`` raises :class:`EventFormatError` for a packet it cannot read at all (unknown
    encoding, no sensor size); everything else is decoded as far as it goes and counted.
    """

    resync_us: int = 100_000
    decoders: dict[str, PacketDecoder] = field(default_factory=dict)
    counts: DecodeCounts = field(default_factory=DecodeCounts)
    last_seq: int | None = None
    dropped_packets: int = 0
    clock_resyncs: int = 0
    offset_us: int | None = None

    def push(self, packet: RawPacket) -> tuple[np.ndarray, DecodeCounts]:
        largest = _largest_side(packet.encoding)
        if not (0 < packet.width <= largest and 0 < packet.height <= largest):
            raise EventFormatError(f'{packet.encoding} packet for a {packet.width}x'
                                   f'{packet.height} sensor')
        if self.last_seq is not None and packet.seq > self.last_seq + 1:
            self.dropped_packets += packet.seq - self.last_seq - 1
        self.last_seq = packet.seq
        decoder = self.decoders.setdefault(packet.encoding, PacketDecoder(packet.encoding))
        events, counts = decoder.decode(packet)
        self.counts.add(counts)
        if decoder.first_time is not None:
            proposed = packet.stamp_us - decoder.first_time
            if self.offset_us is None:
                self.offset_us = proposed
            elif abs(proposed - self.offset_us) > self.resync_us:
                self.offset_us = proposed
                self.clock_resyncs += 1
        if self.offset_us is not None:
            events['timestamp'] += self.offset_us
        return events, counts


def encode_packet(events: np.ndarray, encoding: str, width: int, height: int, seq: int = 0,
                  stamp_us: int | None = None) -> RawPacket:
    """Time-sorted events as one packet, decodable on its own; its stamp is the first event's
    time unless given. The sensor time written is the events' own time, wrapped as the
    encoding wraps it, so :class:`PacketStream` gives back the very timestamps."""
    largest = _largest_side(encoding)
    if max(width, height) > largest:
        raise EventFormatError(f'{encoding} carries at most {largest} pixels a side')
    t, x, y, p = columns(events)
    t0 = int(t[0]) if t.size else (stamp_us or 0)
    time_base = 0
    if encoding == 'evt3':
        out = np.empty(4 * t.size + 4 * (int(t[-1] - t[0]) >> 23 if t.size else 0) + 2,
                       evt3.WORD)
        n = evt3.encode_events(t, x, y, p, out)
    elif encoding == 'evt2':
        out = np.empty(2 * t.size + (int(t[-1] - t[0]) >> 32 if t.size else 0), evt2.WORD)
        n = evt2.encode_events(t, x, y, p, out)
    elif encoding == 'evt21':
        out = np.empty(2 * t.size + (int(t[-1] - t[0]) >> 32 if t.size else 0), evt21.WORD)
        n = evt21.encode_events(t, x, y, p, out)
    elif encoding == 'libcaer':
        base = (t0 >> 31) << 31
        time_base = base * 1000
        out = np.empty(t.size, libcaer.RECORD)
        n = libcaer.encode_records(t, x, y, p, base, out['data'], out['timestamp'])
    elif encoding == 'libcaer_cmp':
        time_base = t0 * 1000
        out = np.empty(4 * t.size, libcaer.CMP_WORD)
        n = libcaer.encode_cmp_events(t, x, y, p, t0, out)
    else:
        time_base = t0 * 1000
        out = np.empty(t.size, mono.WORD)
        n = mono.encode_events(t, x, y, p, time_base, out)
    if n < 0:
        raise EventFormatError(f'events do not fit one {encoding} packet (time going back, or '
                               'spanning more than the encoding can)')
    return RawPacket(encoding, width, height, out[:n].tobytes(), time_base, seq,
                     t0 if stamp_us is None else stamp_us)


def warm_up() -> None:
    """Compile (or load from numba's cache) every decoder and encoder, for read-only buffers
    (``bytes``) and writable ones (a message's ``array``): a node's first packet would
    otherwise wait seconds for the compiler while the camera's packets queue up."""
    from hybrid_perception.events.array import make_events
    one = make_events([1], [0], [0], [1])
    for encoding in CODECS:
        packet = encode_packet(one, encoding, 1, 1)
        for data in (packet.data, bytearray(packet.data)):
            PacketDecoder(encoding).decode(RawPacket(encoding, 1, 1, data, packet.time_base))
            PacketDecoder(encoding).decode(RawPacket(encoding, 1, 1, data, packet.time_base,
                                                     is_bigendian=True))
