"""H1's SxAy x I table, as Seekings et al. report it: every cut at every interval, side by side.

Reads a folder written by ``hybrid-perception train gesture --sweep --out DIR`` (trains one
there first if it has no ``summary.json``), then for every model: test accuracy clip by clip
and as one stream (from training), operations per decision counted by streaming unseen test
clips through the SNN head (torch runtime) and the ANN tail's MACs, and the estimated energy
per decision (Loihi per-op + Jetson board model; coefficients and sources printed). Ends with
one JSON line of the figures.

    scripts/with-venv.sh python benchmarks/gesture_sweep.py [--sweep DIR] [--epochs N] [--quick]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import numpy as np

from hybrid_perception.datasets.gestures import GestureClips
from hybrid_perception.hybrid.gesture.bundle import load_bundle
from hybrid_perception.hybrid.gesture.evaluation import count_head_ops, inference_costs


def trained_sweep(folder: Path, epochs: int, quick: bool) -> list[dict]:
    summary = folder / 'summary.json'
    if not summary.is_file():
        sizes = ['--takes', '1', '--test-takes', '1', '--finetune-epochs', '1'] if quick else []
        subprocess.run([sys.executable, '-m', 'hybrid_perception.cli', 'train', 'gesture',
                        '--sweep', '--resume', '--epochs', str(epochs), '--out', str(folder),
                        *sizes],
                       check=True)
    return json.loads(summary.read_text())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--sweep', type=Path, default=Path('out/gesture-sweep'),
                        help='a `train gesture --sweep` folder (what it lacks is trained: an '
                             'interrupted run resumes)')
    parser.add_argument('--epochs', type=int, default=20,
                        help="epochs of each interval's all-ANN cut when training (default 20, "
                             'as the shipped models)')
    parser.add_argument('--clips', type=int, default=None,
                        help='unseen test clips streamed to count operations (default 22)')
    parser.add_argument('--quick', action='store_true', help='small sizes (smoke run)')
    args = parser.parse_args()

    rows = trained_sweep(args.sweep, 1 if args.quick else args.epochs, args.quick)
    clips, _, _ = GestureClips().generate('test', takes=1, seed=7)
    clips = clips[np.random.default_rng(0).permutation(len(clips))][
        :args.clips or (2 if args.quick else 22)]
    print(f'\n{len(rows)} models from {args.sweep}; operations counted on {len(clips)} unseen '
          'test clips played as one stream\n')
    print('| model | I | test acc. | as one stream | SynOps / decision | MACs / decision '
          '| energy / decision (µJ, ESTIMATE) | SNN / ANN µJ |')
    print('|---|---|---|---|---|---|---|---|')
    figures, sources = [], {}
    for row in rows:
        bundle = load_bundle(row['path'])
        costs = inference_costs(bundle, count_head_ops(bundle, clips))
        uj = {part: e.joules * 1e6 for part, (_, e) in costs.items()}
        synops = costs['snn'][0].synaptic_op if 'snn' in costs else 0
        macs = costs['ann'][0].mac if 'ann' in costs else 0
        sources.update({e.platform: str(e) for _, e in costs.values()})
        print(f'| {row["model"]} | {row["interval"]} | {row["test_accuracy"]:.3f} | '
              f'{row["stream_test_accuracy"]:.3f} | {synops:.3g} | {macs:.3g} | '
              f'{sum(uj.values()):.3g} | {uj.get("snn", 0):.3g} / {uj.get("ann", 0):.3g} |')
        figures.append({'model': row['model'], 'interval': row['interval'],
                        'test_accuracy': round(row['test_accuracy'], 4),
                        'stream_accuracy': round(row['stream_test_accuracy'], 4),
                        'synops': round(synops), 'macs': round(macs),
                        'energy_uj': round(sum(uj.values()), 3)})
    print('\nEnergy is a MODEL ESTIMATE; the last figures priced, per platform:')
    for text in sources.values():
        print(f'  {text}')
    print(json.dumps({'benchmark': 'gesture_sweep', 'models': figures}))
    return 0


if __name__ == '__main__':
    sys.exit(main())
