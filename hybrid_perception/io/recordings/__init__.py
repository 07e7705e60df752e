"""Event recordings in every common format, recognised by their content.

:func:`open_recording` looks at a file's first bytes (not its name: a DVS128 recording called
``.aedat`` may be AEDAT 2.0, 3.1 or 4) and returns a reader: ``sensor``, ``format`` and the
events in time-sorted chunks. Readers stream in bounded memory and, on a damaged file, give
every event before the damage and then one :class:`EventFormatError` saying where it broke.

Which code reads what (measured side by side in ``benchmarks/recordings.py``):

========== =============================================== =================================
format     file                                            read by
========== =============================================== =================================
aedat4     iniVation AEDAT4 (DV)                           faery (dv-processing writes)
aedat3     AEDAT 3.1 (cAER, DVS128 Gesture)                our own (no library reads it)
aedat2     AEDAT 2.0 (jAER: DVS128, DAVIS)                 our own (no library reads it)
raw        Prophesee RAW, EVT 2.0 / 2.1 / 3.0              our compiled codecs (events/codecs)
dat        Prophesee DAT (CD events)                       numpy (fixed 8-byte records)
es         Event Stream                                    faery
bin        N-MNIST / N-Caltech101 ATIS binary              tonic
hdf5       DHP19, DSEC, or x/y/t/p columns                 h5py
csv        text table t,x,y,p (or x,y,p,t)                 numpy
npy        numpy table                                     numpy (memory-mapped)
rosbag     rosbag2 (MCAP or SQLite) of PointCloud2 /       rosbags (io/rosbag.py)
           EventPacket
========== =============================================== =================================
"""

from __future__ import annotations

from pathlib import Path

from hybrid_perception.errors import EventFormatError
from hybrid_perception.events.array import SensorSize
from hybrid_perception.io.recordings import aedat3, aedat4, eventstream, hdf5, jaer, tables
from hybrid_perception.io.recordings.reading import Recording, broken, header_lines

__all__ = ['FORMATS', 'Recording', 'detect_format', 'open_recording']

FORMATS = ('aedat4', 'aedat3', 'aedat2', 'raw', 'dat', 'es', 'bin', 'hdf5', 'csv', 'npy',
           'rosbag')

_MAGICS = ((aedat4.MAGIC, 'aedat4'), (aedat3.MAGIC, 'aedat3'), (jaer.MAGIC, 'aedat2'),
           (eventstream.MAGIC, 'es'), (tables.NPY_MAGIC, 'npy'), (hdf5.MAGIC, 'hdf5'),
           (b'\x89MCAP', 'rosbag'), (b'SQLite format 3\x00', 'rosbag'))


def detect_format(path: str | Path) -> str:
    """The format of a recording, from its content; the name only for ATIS ``.bin`` (which
    has no header). Raises :class:`EventFormatError` when nothing matches."""
    path = Path(path)
    if path.is_dir():
        if (path / 'metadata.yaml').is_file() or any(path.glob('*.mcap')) or \
                any(path.glob('*.db3')):
            return 'rosbag'
        raise EventFormatError(f'{path}: a folder, but not a rosbag2 (no metadata.yaml, .mcap '
                               f'or .db3 inside)')
    try:
        with path.open('rb') as handle:
            head = handle.read(4096)
    except OSError as err:
        raise EventFormatError(f'{path}: cannot read: {err}') from err
    for magic, name in _MAGICS:
        if head.startswith(magic):
            return name
    if head.startswith(b'#!AER-DAT'):
        version = head[9:12].decode('ascii', 'replace')
        raise EventFormatError(f'{path}: AEDAT {version}: not a version read here (2.0, 3.1 '
                               f'and 4.0 are)')
    if head.startswith(b'%'):
        from hybrid_perception.io.recordings.prophesee import is_raw_header
        lines, _ = header_lines(path, 'Prophesee', b'%', end=b'% end')
        return 'raw' if is_raw_header(lines) else 'dat'
    if path.suffix.lower() == '.bin':
        return 'bin'
    if head and _looks_like_a_table(head):
        return 'csv'
    raise EventFormatError(f'{path}: not a recording format read here (first bytes '
                           f'{head[:16]!r}); formats: {", ".join(FORMATS)}')


def _looks_like_a_table(head: bytes) -> bool:
    text = head.decode('ascii', 'replace')
    body = text.splitlines()[1:-1] or text.splitlines()  # a header row, a cut-off last row
    return all(ch in '0123456789.,-+eE \t' for line in body for ch in line)


def open_recording(path: str | Path, *, format: str = 'auto', sensor: SensorSize | None = None,
                   group: str | None = None, topic: str | None = None) -> Recording:
    """A reader of the recording at ``path``.

    ``sensor`` is used when the file gives no size (N-MNIST, CSV, npy, some HDF5); ``group``
    picks an HDF5 group (DHP19: ``cam2_events``); ``topic`` a bag's events topic.
    """
    path = Path(path)
    if not path.exists():
        raise EventFormatError(f'{path}: no such file or directory')
    name = detect_format(path) if format == 'auto' else format
    reader = _open(name, path, sensor, group, topic)
    if reader.sensor is None:
        raise broken(path, reader.format, 'the file gives no sensor size; set it '
                                          '(sensor_width / sensor_height)')
    return reader


def _open(name: str, path: Path, sensor: SensorSize | None, group: str | None,
          topic: str | None) -> Recording:
    if name == 'aedat4':
        return aedat4.Aedat4Reader(path)
    if name == 'aedat3':
        return aedat3.Aedat3Reader(path, sensor)
    if name == 'aedat2':
        return jaer.Aedat2Reader(path)
    if name in ('raw', 'dat'):
        from hybrid_perception.io.recordings import prophesee
        return (prophesee.RawReader if name == 'raw' else prophesee.DatReader)(path, sensor)
    if name == 'es':
        return eventstream.EventStreamReader(path)
    if name == 'bin':
        from hybrid_perception.io.recordings.atis import AtisBinReader
        return AtisBinReader(path, sensor)
    if name == 'hdf5':
        return hdf5.Hdf5Reader(path, group, sensor)
    if name == 'csv':
        return tables.CsvReader(path, sensor)
    if name == 'npy':
        return tables.NpyReader(path, sensor)
    if name == 'rosbag':
        from hybrid_perception.io.rosbag import EventBagReader
        return EventBagReader(path, topic=topic, sensor=sensor)
    raise EventFormatError(f'unknown recording format {name!r}; formats: {", ".join(FORMATS)}')
