"""``hybrid-perception inspect``: a recording's statistics, printed and plotted."""

from __future__ import annotations

import argparse

__all__ = ['add_parser']


def add_parser(sub: argparse._SubParsersAction) -> None:
    from hybrid_perception.cli.recording_options import add_recording_options
    parser = sub.add_parser(
        'inspect', help="print and plot a recording's statistics",
        description='Read a recording to its end and report its format, sensor, event count, '
                    'time span, event rate over time, polarity balance, events off the sensor '
                    'or back in time, and hot pixels; plot the rate and where events fall.')
    parser.add_argument('recording', help='any recording the driver reads')
    parser.add_argument('--plot', default=None, metavar='PNG',
                        help='where to draw the plot (default: RECORDING-NAME.inspect.png in '
                             'the current folder)')
    parser.add_argument('--json', action='store_true', help='print the statistics as JSON')
    add_recording_options(parser)
    parser.set_defaults(func=inspect_recording)


def inspect_recording(args: argparse.Namespace) -> int:
    import json
    from pathlib import Path

    from tqdm import tqdm

    from hybrid_perception.cli.recording_options import open_from_options
    from hybrid_perception.errors import HybridPerceptionError
    from hybrid_perception.events.statistics import EventStatistics

    recording = open_from_options(args.recording, args)
    stats = EventStatistics(recording.sensor)
    error: HybridPerceptionError | None = None
    with tqdm(unit='ev', unit_scale=True, desc=Path(args.recording).name) as bar:
        try:
            for chunk in recording:
                stats.add(chunk)
                bar.update(chunk.size)
        except HybridPerceptionError as err:
            error = err
    summary = {'path': args.recording, 'format': recording.format, **stats.summary(),
               'damaged': str(error) if error else None}
    plot = Path(args.plot or f'{Path(args.recording).name}.inspect.png')
    _plot(stats, f'{Path(args.recording).name} ({recording.format})', plot)
    summary['plot'] = str(plot)
    if args.json:
        print(json.dumps(summary))
    else:
        width = max(len(k) for k in summary)
        for key, value in summary.items():
            print(f'{key:<{width}}  {value}')
    return 1 if error else 0


def _plot(stats, title: str, path) -> None:
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    import numpy as np

    fig, (rate_ax, image_ax) = plt.subplots(1, 2, figsize=(11, 4))
    rate = stats.rate_per_s
    rate_ax.plot(np.arange(rate.size) * stats.bin_us * 1e-6, rate / 1e3, lw=0.8)
    rate_ax.set(xlabel='time from the first event (s)',
                ylabel=f'events / s (k), {stats.bin_us // 1000} ms bins', title='event rate')
    shown = image_ax.imshow(np.log10(1 + stats.counts), cmap='magma', interpolation='nearest')
    for x, y, _ in stats.hot_pixels():
        image_ax.add_patch(plt.Circle((x, y), max(stats.counts.shape) / 60, fill=False,
                                      color='cyan'))
    image_ax.set(title='events per pixel (log10; hot pixels circled)', xlabel='x', ylabel='y')
    fig.colorbar(shown, ax=image_ax)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
