"""Recording readers, measured side by side in one run: events/s of our path for each format
next to every library that reads the same file (faery, expelliarmus, dv-processing, tonic,
numpy) and to a memcpy of the file's bytes (the ceiling). The files hold a simulated 640x480
scene (moving bars, real event locality), written in each format's layout. Ours streams in
bounded memory and reports damage; "expelliarmus" (whole file at once) does neither, its
chunked reader streams but ignores a cut-off end. tonic 1.7's AEDAT 3.1 reader
(``read_dvs_ibm``) fails on its own header parser and is left out; AEDAT 2.0, N-MNIST .bin
(tonic's reader is ours) and ES (faery's is ours) have no second reader.

    scripts/with-venv.sh python benchmarks/recordings.py [--events N]

Ends with one JSON line: {format: {reader: Mev/s}}.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np
from event_path import best_seconds  # this folder is on the path of a script run here

from hybrid_perception.events.array import SensorSize, concatenate
from hybrid_perception.io.recordings import open_recording
from hybrid_perception.io.recordings.aedat3 import write_aedat3
from hybrid_perception.io.recordings.aedat4 import write_aedat4
from hybrid_perception.io.recordings.atis import write_atis_bin
from hybrid_perception.io.recordings.jaer import write_aedat2
from hybrid_perception.io.sources import SyntheticSource

SENSOR = SensorSize(640, 480)


def scene(n: int) -> np.ndarray:
    chunks, total = [], 0
    for chunk in SyntheticSource(SENSOR, seed=1):
        chunks.append(chunk)
        total += chunk.size
        if total >= n:
            break
    return concatenate(chunks)[:n]


def best(fn) -> float:
    """The fastest of three runs (event_path's timer; files are read whole each run)."""
    return best_seconds(fn, repeat=3)


def faery_array(events, flip_y=False):
    import faery
    out = np.zeros(events.size, faery.EVENTS_DTYPE)
    out['t'], out['x'] = events['timestamp'], events['x']
    out['y'] = SENSOR.height - 1 - events['y'] if flip_y else events['y']
    out['on'] = events['polarity'] > 0
    return out


def write_files(events, folder: Path) -> dict[str, Path]:
    from faery.extension import dat, es, evt
    files = {}
    for version in ('evt3', 'evt2'):
        files[f'raw {version}'] = folder / f'{version}.raw'
        with evt.Encoder(files[f'raw {version}'], version, False, (640, 480), True) as w:
            w.write({'events': faery_array(events)})
    # EVT 2.1: no library here writes it (faery 0.7: "not yet implemented"): our encoder
    from hybrid_perception.events.codecs import encode_packet
    files['raw evt21'] = folder / 'evt21.raw'
    files['raw evt21'].write_bytes(b'% evt 2.1\n% format EVT21;height=480;width=640\n% end\n'
                                   + encode_packet(events, 'evt21', 640, 480).data)
    files['dat'] = folder / 'cd.dat'
    cd = np.zeros(events.size, [('t', '<u8'), ('x', '<u2'), ('y', '<u2'), ('payload', 'u1')])
    cd['t'], cd['x'], cd['y'], cd['payload'] = (events['timestamp'], events['x'], events['y'],
                                                events['polarity'])
    with dat.Encoder(files['dat'], 'dat2', 'cd', False, (640, 480)) as w:
        w.write(cd)
    files['es'] = folder / 'rec.es'
    with es.Encoder(files['es'], 'dvs', False, (640, 480)) as w:
        w.write(faery_array(events, flip_y=True))
    files['aedat4'] = folder / 'rec.aedat4'
    write_aedat4(files['aedat4'], events, SENSOR)
    files['aedat3.1'] = write_aedat3(folder / 'rec3.aedat', events, source='DVXplorer')
    files['aedat2'] = write_aedat2(folder / 'rec2.aedat', events,
                                   chip='eu.seebetter.ini.chips.davis.DavisRGBW640')
    files['csv'] = folder / 'rec.csv'
    np.savetxt(files['csv'], np.stack([events[k] for k in ('timestamp', 'x', 'y',
                                                           'polarity')], 1),
               fmt='%d', delimiter=',', header='t,x,y,p', comments='')
    files['npy'] = folder / 'rec.npy'
    np.save(files['npy'], events)
    # an N-MNIST-sized sample: the scene folded onto 34x34, within the 23-bit clock
    small = events[events['timestamp'] - events['timestamp'][0] < 1 << 23].copy()
    small['x'] %= 34
    small['y'] %= 34
    small['timestamp'] -= small['timestamp'][0]
    files['n-mnist bin'] = write_atis_bin(folder / 'digit.bin', small)
    return files


def others(name: str, path: Path) -> dict:
    """The libraries that read the same file, each as a function reading it whole."""
    found = {}
    if name in ('raw evt3', 'raw evt2'):
        from faery.extension import evt

        def faery_raw():
            with evt.Decoder(path, None, None) as decoder:
                return sum(len(p['events']) for p in decoder if 'events' in p)
        found['faery'] = faery_raw
        if name == 'raw evt2':  # expelliarmus 1.1.12's EVT3 is off by 4096 µs (see tests)
            from expelliarmus import Wizard
            found['expelliarmus'] = lambda: len(Wizard(encoding='evt2').read(path))
    if name == 'dat':
        from expelliarmus import Wizard
        from faery.extension import dat

        def faery_dat():
            with dat.Decoder(path, None, None) as decoder:
                return sum(len(c) for c in decoder)
        found['faery'] = faery_dat
        found['expelliarmus'] = lambda: len(Wizard(encoding='dat').read(path))
        found['expelliarmus chunks'] = lambda: sum(len(c) for c in Wizard(
            encoding='dat', fpath=path, chunk_size=1 << 20).read_chunk())
    if name == 'aedat4':
        import dv_processing as dv

        def dv_read():
            recording, n = dv.io.MonoCameraRecording(str(path)), 0
            while (batch := recording.getNextEventBatch()) is not None:
                n += batch.size()
            return n
        found['dv-processing'] = dv_read
    if name == 'csv':
        from faery.extension import csv

        def faery_csv():
            with csv.Decoder(path=path, dimensions=(640, 480), has_header=True,
                             separator=ord(','), t_index=0, x_index=1, y_index=2, on_index=3,
                             t_scale=0.0, t0=0, on_value=b'1', off_value=b'0',
                             skip_errors=False) as decoder:
                return sum(len(c) for c in decoder)
        found['faery'] = faery_csv
    if name == 'npy':
        found['np.load'] = lambda: len(np.load(path))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--events', type=int, default=2_000_000)
    args = parser.parse_args()
    events = scene(args.events)
    span = (events['timestamp'][-1] - events['timestamp'][0]) * 1e-6
    print(f'{events.size} events, {span:.2f} s of a {SENSOR.width}x{SENSOR.height} scene')
    figures: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        files = write_files(events, Path(tmp))
        for name, path in files.items():
            data = path.read_bytes()
            recording = open_recording(path, sensor=SENSOR)
            n = sum(c.size for c in recording)  # also compiles / warms the caches
            row = {'ours': n / best(lambda p=path: [c.size for c in open_recording(
                p, sensor=SENSOR)]) / 1e6}
            for reader, read in others(name, path).items():
                read()
                row[reader] = n / best(read) / 1e6
            row['memcpy'] = n / best(lambda d=data: bytearray(d)) / 1e6
            figures[name] = {k: round(v, 2) for k, v in row.items()}
            shown = ', '.join(f'{k} {v:.1f}' for k, v in row.items() if k != 'ours')
            print(f'{name:12} {recording.format:30} {n:>9} events  ours {row["ours"]:7.1f} '
                  f'Mev/s  ({shown})')
    print(json.dumps({'recordings_mev_per_s': figures}))


if __name__ == '__main__':
    main()
