"""A bag whose recorder died, salvaged: the whole records of its MCAP file written again as a
bag every reader opens.

A recorder killed with SIGKILL (or stopped by a full disk) leaves an MCAP file without the
summary, footer and end magic, and a bag folder without ``metadata.yaml``: all written at
close, and what rosbags and ``ros2 bag`` need to open it. The records before the damage are
whole: after the magic and the header, schema (0x03), channel (0x04) and message (0x05)
records, or chunks (0x06) of them, each an opcode byte and a little-endian uint64 length
(the MCAP specification). They are read in order up to the first one cut off and written to a
new bag with rosbags, the way ``ros2 bag reindex`` mends ROS 2's own bags.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import BinaryIO

from hybrid_perception.errors import DataFormatError
from hybrid_perception.io.rosbag import open_bag_writer, typestore

__all__ = ['Salvaged', 'salvage_bag']

MAGIC = b'\x89MCAP0\r\n'
SCHEMA, CHANNEL, MESSAGE, CHUNK, DATA_END = 0x03, 0x04, 0x05, 0x06, 0x0F


@dataclass
class Salvaged:
    """What was saved: messages per topic, the bytes cut off at the end, and the channels
    whose type this install cannot name (kept out, with the reason)."""

    path: Path
    topics: dict[str, int] = field(default_factory=dict)
    lost_bytes: int = 0
    skipped: dict[str, str] = field(default_factory=dict)

    @property
    def messages(self) -> int:
        return sum(self.topics.values())


def salvage_bag(source: str | Path, out: str | Path) -> Salvaged:
    """Copy every whole message of the bag (folder or ``.mcap`` file) at ``source`` into a new
    bag at ``out`` (never overwritten)."""
    source = Path(source)
    files = sorted(source.glob('*.mcap')) if source.is_dir() else [source]
    if len(files) != 1:
        raise DataFormatError(f'{source}: expected one .mcap file to salvage, found '
                              f'{len(files)}')
    store = typestore()
    result = Salvaged(Path(out))
    schemas: dict[int, tuple[str, str]] = {}
    connections: dict[int, object] = {}
    with files[0].open('rb') as bio:
        if bio.read(8) != MAGIC:
            raise DataFormatError(f'{files[0]}: not an MCAP file (no magic)')
        size = files[0].stat().st_size
        writer = open_bag_writer(out)
        try:
            for op, body in _records(bio, result, size):
                if op == SCHEMA:
                    key, name, _encoding, text = _schema(body)
                    schemas[key] = (name, text)
                elif op == CHANNEL:
                    key, schema, topic = _channel(body)
                    name, text = schemas.get(schema, ('', ''))
                    try:
                        connections[key] = writer.add_connection(
                            topic, name, msgdef=text, rihs01=store.hash_rihs01(name))
                        result.topics[topic] = 0
                    except Exception as err:  # a type this install's typestore lacks
                        result.skipped[topic] = f'{name}: {err}'
                elif op == MESSAGE:
                    channel, log_time = struct.unpack_from('<HxxxxQ', body)
                    if channel in connections:
                        writer.write(connections[channel], log_time, body[22:])
                        topic = connections[channel].topic
                        result.topics[topic] += 1
        finally:
            writer.close()
    return result


def _records(bio: BinaryIO, result: Salvaged, size: int) -> Iterator[tuple[int, bytes]]:
    """(opcode, body) of each whole record, chunks opened; the first cut-off record ends it
    (its bytes, and what follows, counted as lost)."""
    while True:
        start = bio.tell()
        head = bio.read(9)
        if len(head) < 9:
            result.lost_bytes = size - start
            return
        op, length = head[0], struct.unpack('<Q', head[1:])[0]
        body = bio.read(length)
        if len(body) < length or op == 0:
            result.lost_bytes = size - start
            return
        if op == DATA_END:
            return
        if op == CHUNK:
            yield from _chunk(body)
        else:
            yield op, body


def _chunk(body: bytes) -> Iterator[tuple[int, bytes]]:
    from rosbags.rosbag2.storage_mcap import decompress
    uncompressed_size, crc = struct.unpack_from('<QI', body, 16)
    rec = BytesIO(body[28:])
    compression = _string(rec)
    compressed = rec.read(struct.unpack('<Q', rec.read(8))[0])
    inner = BytesIO(decompress(compressed, compression, uncompressed_size, crc))
    while inner.tell() < uncompressed_size:
        op, length = struct.unpack('<BQ', inner.read(9))
        yield op, inner.read(length)


def _string(rec: BytesIO) -> str:
    return rec.read(struct.unpack('<I', rec.read(4))[0]).decode()


def _schema(body: bytes) -> tuple[int, str, str, str]:
    rec = BytesIO(body)
    key = struct.unpack('<H', rec.read(2))[0]
    name, encoding = _string(rec), _string(rec)
    return key, name, encoding, _string(rec)


def _channel(body: bytes) -> tuple[int, int, str]:
    rec = BytesIO(body)
    key, schema = struct.unpack('<HH', rec.read(4))
    return key, schema, _string(rec)
