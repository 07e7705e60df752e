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
                    'or back in time, and hot pixels; plot the rate and where events fall. '
                    'With --against, the same figures per pixel and second beside a synthetic '
                    'world\'s.')
    parser.add_argument('recording', help='any recording the driver reads')
    parser.add_argument('--plot', default=None, metavar='PNG',
                        help='where to draw the plot (default: RECORDING-NAME.inspect.png in '
                             'the current folder)')
    parser.add_argument('--json', action='store_true', help='print the statistics as JSON')
    parser.add_argument('--against', choices=('gesture', 'pose'), default=None,
                        help='also render takes of that synthetic world (the test subjects, '
                             'what the shipped models trained on) and print both streams\' '
                             'size- and length-free figures side by side: how far the '
                             'recording is from the training data')
    parser.add_argument('--against-seconds', type=float, default=2.0,
                        help='length of each synthetic take (default 2 s)')
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
    synthetic = _synthetic(args.against, args.against_seconds) if args.against else None
    plot = Path(args.plot or f'{Path(args.recording).name}.inspect.png')
    _plot(stats, f'{Path(args.recording).name} ({recording.format})', plot, synthetic,
          args.against)
    summary['plot'] = str(plot)
    if synthetic is not None:
        summary['against'] = {'world': args.against, 'recording': stats.comparable(),
                              'synthetic': synthetic.comparable()}
    if args.json:
        print(json.dumps(summary))
        return 1 if error else 0
    width = max(len(k) for k in summary)
    for key, value in summary.items():
        if key != 'against':
            print(f'{key:<{width}}  {value}')
    if synthetic is not None:
        print(f'\n| figure | this recording | synthetic {args.against} (test subjects) |')
        print('|---|---|---|')
        for key, value in summary['against']['recording'].items():
            print(f'| {key} | {_figure(value)} | '
                  f'{_figure(summary["against"]["synthetic"][key])} |')
    return 1 if error else 0


def _figure(value) -> str:
    return 'n/a' if value is None else f'{value:.4g}'


def _synthetic(world: str, seconds: float):
    """Statistics of takes of a synthetic world's test subjects, back to back on one clock:
    gesture, every class (``none`` too) by the six test subjects in turn; pose, the five test
    people's movements seen by one camera."""
    import numpy as np
    from tqdm import tqdm

    from hybrid_perception.events.statistics import EventStatistics

    duration = int(seconds * 1e6)
    rng = np.random.default_rng(0)
    if world == 'gesture':
        from hybrid_perception.datasets.gesture_classes import CLASSES
        from hybrid_perception.datasets.gestures import GestureRenderer, subjects
        renderer, testers = GestureRenderer(), subjects('test')
        sensor = renderer.sensor
        jobs = [(lambda k=k: renderer.events(k, testers[k % len(testers)], duration, rng))
                for k in range(len(CLASSES))]
    else:
        from hybrid_perception.datasets.people import MOVEMENTS, SENSOR, PeopleRenderer, people
        renderer, testers, sensor = PeopleRenderer(), people('test'), SENSOR
        jobs = [(lambda k=k: renderer.take(k % len(MOVEMENTS), testers[k % len(testers)],
                                           duration, rng).events[0])
                for k in range(len(testers))]
    stats = EventStatistics(sensor)
    for k, render in enumerate(tqdm(jobs, desc=f'rendering synthetic {world}', unit='take')):
        events = render()
        events['timestamp'] += k * duration
        stats.add(events)
    return stats


def _plot(stats, title: str, path, synthetic=None, world: str | None = None) -> None:
    """Rate over time and where events fall; with ``synthetic``, the rates per pixel of both
    and how busy their pixels are, side by side."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    import numpy as np

    panels = 3 if synthetic is not None else 2
    fig, axes = plt.subplots(1, panels, figsize=(5.5 * panels, 4))
    rate_ax, image_ax = axes[0], axes[1]
    if synthetic is None:
        rate = stats.rate_per_s
        rate_ax.plot(np.arange(rate.size) * stats.bin_us * 1e-6, rate / 1e3, lw=0.8)
        rate_ax.set(xlabel='time from the first event (s)',
                    ylabel=f'events / s (k), {stats.bin_us // 1000} ms bins', title='event rate')
    else:
        for source, label in ((stats, 'this recording'), (synthetic, f'synthetic {world}')):
            pixels = source.sensor.width * source.sensor.height
            rate = source.rate_per_s / pixels
            rate_ax.plot(np.arange(rate.size) * source.bin_us * 1e-6, rate, lw=0.8, label=label)
            busy = source.counts[source.counts > 0] / max(source.duration_s, 1e-9)
            axes[2].hist(np.log10(busy), bins=50, histtype='step', density=True, label=label)
        rate_ax.set(xlabel='time from the first event (s)', ylabel='events / s per pixel',
                    title='event rate per pixel')
        rate_ax.legend()
        axes[2].set(xlabel='log10 events / s of a pixel that fired', ylabel='density',
                    title='how busy the pixels are')
        axes[2].legend()
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
