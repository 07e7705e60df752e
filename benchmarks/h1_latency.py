"""Is the live H1 hybrid as fast as its ANN baseline? Paired replays in one process.

The same bag is replayed at 1x real time through fresh hybrid and ANN graphs (snn_node,
accumulator_node, ann_node on one executor, as ``evaluate --pipeline gesture`` runs them),
in rounds whose order alternates (hybrid then ANN, ANN then hybrid, ...), so that a slow
stretch of the machine and a graph's place in the process weigh on both alike. Each round
gives one p50 per model and their difference; the verdict comes from the differences'
median and its 95 % bootstrap interval: *below* when the whole interval is under 0, *above*
when it is over 0, else *at* (no difference this run can resolve). Why paired: the same graph
moves by 0.1-0.5 ms between replays here, more than the two differ. Ends with one JSON line.

    scripts/with-venv.sh python benchmarks/h1_latency.py [--bag BAG] [--rounds 6] [--seconds 20]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np
from live_graphs import make_bag  # this folder is on the path of a script run here

MODELS = {'hybrid': 'gesture/hybrid', 'ann': 'gesture/ann'}


def p50_ms(bundle, packets, packet_us: int) -> float:
    """One replay through a fresh graph: the end-to-end p50 (ms) of its decisions."""
    from hybrid_perception.ros.tools.live_evaluation import replay_gesture_graph
    run, _ = replay_gesture_graph(bundle.spec.kind, bundle, packets, rate=1.0,
                                  packet_us=packet_us)
    latencies = run.latencies()['end_to_end']
    if not latencies:
        raise SystemExit(f'{bundle.spec.name}: no decision came back')
    return float(np.median(latencies) * 1e3)


def interval(differences: np.ndarray, rng: np.random.Generator,
             draws: int = 10_000) -> tuple[float, float]:
    """95 % bootstrap interval of the median of ``differences``."""
    picks = rng.integers(0, len(differences), (draws, len(differences)))
    medians = np.median(differences[picks], axis=1)
    return float(np.percentile(medians, 2.5)), float(np.percentile(medians, 97.5))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--bag', type=Path, default=None,
                        help='a gesture bag (default: one written with `dataset gesture '
                             '--samples 66`)')
    parser.add_argument('--rounds', type=int, default=6, help='replays of each model')
    parser.add_argument('--seconds', type=float, default=20.0,
                        help='of the bag replayed each time (default 20)')
    parser.add_argument('--packet-us', type=int, default=5000)
    args = parser.parse_args()
    if args.rounds < 2 or args.seconds <= 0:
        parser.error('--rounds must be at least 2 and --seconds positive')

    from hybrid_perception.hybrid.gesture.bundle import load_bundle
    from hybrid_perception.io.sources import read_packets

    with tempfile.TemporaryDirectory() as scratch:
        bag = args.bag or make_bag('h1', Path(scratch))[0]   # a synthetic gesture bag
        packets = read_packets(bag, None, args.packet_us)
        packets = packets[:max(1, int(args.seconds * 1e6 / args.packet_us))]
        bundles = {name: load_bundle(path) for name, path in MODELS.items()}
        p50 = {name: [] for name in MODELS}
        order = list(MODELS)
        for round_ in range(args.rounds):
            for name in order if round_ % 2 == 0 else order[::-1]:
                p50[name].append(p50_ms(bundles[name], packets, args.packet_us))
            print(f'round {round_ + 1}/{args.rounds}: '
                  + ', '.join(f'{n} {p50[n][-1]:.3f} ms' for n in MODELS), file=sys.stderr,
                  flush=True)

    hybrid, ann = np.array(p50['hybrid']), np.array(p50['ann'])
    differences = hybrid - ann
    median = float(np.median(differences))
    low, high = interval(differences, np.random.default_rng(0))
    verdict = 'below' if high < 0 else 'above' if low > 0 else 'at'
    print(f'\nH1 live, one process, 1x real time, {len(packets)} packets of '
          f'{args.packet_us} µs a replay, {args.rounds} rounds, order alternating')
    print(f'{"round":>5} {"hybrid p50 ms":>14} {"ANN p50 ms":>11} {"difference":>11}')
    for i, (h, a) in enumerate(zip(hybrid, ann, strict=True)):
        print(f'{i + 1:5d} {h:14.3f} {a:11.3f} {h - a:+11.3f}')
    print(f'median: hybrid {np.median(hybrid):.3f}, ANN {np.median(ann):.3f} ms; difference '
          f'{median:+.3f} ms (95 % interval {low:+.3f} .. {high:+.3f}): the hybrid is '
          f'{verdict} the ANN')
    print(json.dumps({'benchmark': 'h1_latency', 'rounds': args.rounds,
                      'packets_per_replay': len(packets),
                      'hybrid_p50_ms': p50['hybrid'], 'ann_p50_ms': p50['ann'],
                      'median_difference_ms': median, 'difference_ci95_ms': [low, high],
                      'verdict': verdict, 'target_met': verdict != 'above'}))
    return 0


if __name__ == '__main__':
    sys.exit(main())
