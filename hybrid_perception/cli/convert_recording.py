"""``hybrid-perception convert-recording``: any recording the driver reads -> AEDAT4, or a
rosbag2 (MCAP) of PointCloud2 or EventPacket packets."""

from __future__ import annotations

import argparse

__all__ = ['add_parser']


def add_parser(sub: argparse._SubParsersAction) -> None:
    from hybrid_perception.cli.recording_options import add_recording_options
    from hybrid_perception.events.codecs.packets import ENCODINGS
    parser = sub.add_parser(
        'convert-recording', help='convert a recording to AEDAT4 or a rosbag2',
        description='Read any recording the driver reads (AEDAT 2.0/3.1/4, Prophesee RAW/DAT, '
                    'Event Stream, N-MNIST .bin, HDF5, CSV, npy, rosbag2) and write it as '
                    'AEDAT4 (OUT ending in .aedat4) or as a rosbag2 folder of event packets.')
    parser.add_argument('input', help='recording to read')
    parser.add_argument('out', help='OUT.aedat4, or a bag folder to create')
    parser.add_argument('--events-type', choices=('point_cloud2', 'event_packet'),
                        default='point_cloud2', help='bag message type (bags only)')
    parser.add_argument('--encoding', choices=ENCODINGS, default='evt3',
                        help='EventPacket encoding (event_packet bags only)')
    parser.add_argument('--packet-period-us', type=int, default=1000,
                        help='time span of one bag message')
    add_recording_options(parser)
    parser.set_defaults(func=convert_recording)


def convert_recording(args: argparse.Namespace) -> int:
    from pathlib import Path

    from tqdm import tqdm

    from hybrid_perception.cli.recording_options import open_from_options
    from hybrid_perception.errors import HybridPerceptionError
    from hybrid_perception.events.array import EventSanitizer
    from hybrid_perception.io.sources import Packetizer

    out = Path(args.out)
    if out.exists():
        raise FileExistsError(f'{out} exists; choose a new name')
    recording = open_from_options(args.input, args)
    sanitizer = EventSanitizer(recording.sensor)
    bar = tqdm(unit='ev', unit_scale=True, desc=f'{Path(args.input).name} -> {out.name}')

    def clean(chunks):
        for chunk in chunks:
            events, _ = sanitizer(chunk)
            bar.update(events.size)
            yield events

    error: HybridPerceptionError | None = None
    try:
        if out.suffix == '.aedat4':
            from hybrid_perception.io.recordings.aedat4 import Aedat4Writer
            with Aedat4Writer(out, recording.sensor) as writer:
                error = _copy(clean(recording), writer.write)
        else:
            from hybrid_perception.io.rosbag import EventBagWriter
            encoding = args.encoding if args.events_type == 'event_packet' else None
            packetizer = Packetizer(args.packet_period_us)
            with EventBagWriter(out, recording.sensor, encoding=encoding) as writer:
                def write(events):
                    for stamp, packet in packetizer.push(events):
                        writer.write(packet, stamp)
                error = _copy(clean(recording), write)
                for stamp, packet in packetizer.flush():
                    writer.write(packet, stamp)
    finally:
        bar.close()
    drops = sanitizer.drops
    print(f'{args.input} ({recording.format}, {recording.sensor.width}x'
          f'{recording.sensor.height}): {int(bar.n)} events written to {out}'
          + (f'; {drops.total} dropped ({drops.out_of_bounds} off the sensor, '
             f'{drops.backwards_in_time} back in time)' if drops.total else ''))
    if error is not None:
        print(f'error: {error} (the events before it were written)')
        return 1
    return 0


def _copy(chunks, write):
    """Write every chunk; a reader's error ends the copy and is returned, not raised, so what
    was read before it is kept."""
    from hybrid_perception.errors import HybridPerceptionError
    try:
        for chunk in chunks:
            write(chunk)
    except HybridPerceptionError as err:
        return err
    return None
