"""The SNN runtimes side by side, in one run.

First every network the package ships, each stepped as its node steps it (a gesture model's
window, a pose network one step a call, the digits network an image's steps and silence):
time steps per second of the torch runtime with SLAYER's own neuron loop, of the torch runtime
with the compiled neurons (``networks/snn/cuba.py``), of the compiled runtime (the NetX file on
numpy and the compiled neurons, no torch: ``networks/snn/compiled_runtime.py``, the nodes'
default) and of Lava's simulator; whether the compiled ones give SLAYER's spikes exactly, and
Lava's agreement with them; and the synaptic operations a second the compiled runtime achieves
(counted from its spikes, as ``/diagnostics`` counts them) against this core's peak: the
multiply-accumulates a second of a large float32 matrix product on one BLAS thread, the most
one core does of the work a synaptic operation is (an addition of a weight).

Then the built-in ``motion`` network, trained on synthetic clips (or ``--network``), exported
to NetX HDF5 and streamed through the torch runtime and the Lava runtime (Loihi2SimCfg
fixed_pt, the bit-accurate Loihi model) at a few window lengths, with the counted operations
and the modelled energy per platform (estimates, with coefficients and source). Ends with one
JSON line of the figures.

    scripts/with-venv.sh python benchmarks/snn_runtimes.py [--network NET] [--quick]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from event_path import best_seconds  # this folder is on the path of a script run here
from threadpoolctl import threadpool_limits

from hybrid_perception.datasets.motion import MovingSquareClips
from hybrid_perception.networks.energy import EnergyModel
from hybrid_perception.networks.energy.counts import count_snn_ops
from hybrid_perception.networks.snn import load_spec
from hybrid_perception.networks.snn.compare import as_windows, compare_runtimes
from hybrid_perception.networks.snn.compiled_runtime import CompiledRuntime
from hybrid_perception.networks.snn.netx import read_spec
from hybrid_perception.networks.snn.training import TrainConfig, load_checkpoint, train

PLATFORMS = ('loihi', 'loihi_calibrated', 'loihi2')
STEP_S = 1e-3  # one SNN time step per millisecond of events (5 ms bins run at 5 steps/bin)


def trained_network(folder: Path, quick: bool) -> Path:
    dataset = MovingSquareClips()
    n_train, epochs = (128, 2) if quick else (1024, 6)
    result = train(load_spec('motion'), dataset.generate(n_train, seed=0),
                   dataset.generate(64, seed=1), TrainConfig(epochs=epochs, seed=0), folder,
                   progress=False)
    print(f'trained motion network: validation accuracy {result.best_val_accuracy:.3f} '
          f'({n_train} clips, {epochs} epochs)')
    return load_checkpoint(result.best_checkpoint).export_hdf5(folder / 'network.net')


def compiled_runtime(path: Path, windows: np.ndarray) -> tuple[float, np.ndarray, float]:
    """Steps per second of the compiled runtime over ``windows``, its output, and the
    synaptic operations of the run (counted after the timing, from the spikes it kept)."""
    runtime = CompiledRuntime(path, windows.shape[1])
    runtime.step(windows[0])  # as compare_runtimes: the first call is not timed
    runtime.reset()
    outputs, layers = [], []
    started = time.perf_counter()
    for window in windows:
        outputs.append(runtime.step(window))
        layers.append(runtime.layer_spikes)
    seconds = time.perf_counter() - started
    ops = count_snn_ops(runtime.spec, np.concatenate(windows),
                        [np.concatenate(spikes) for spikes in zip(*layers, strict=True)])
    return windows.shape[0] * windows.shape[1] / seconds, np.concatenate(outputs), \
        ops.synaptic_op / seconds


def peak_macs_per_s(n: int = 2048) -> float:
    """Multiply-accumulates a second of an n x n float32 matrix product on one BLAS thread
    (best of three): what one core of this machine does at most."""
    a = np.random.default_rng(0).random((n, n), np.float32)
    with threadpool_limits(1):
        a @ a
        best = best_seconds(lambda: a @ a, repeat=3)
    return n ** 3 / best


def shipped_networks(quick: bool) -> dict[str, float]:
    """Every shipped network on SLAYER's loop, the compiled neurons, the compiled runtime and
    Lava, side by side."""
    from hybrid_perception.hybrid.common import MODELS_DIR
    from hybrid_perception.hybrid.conversion.bundle import load_converted
    from hybrid_perception.hybrid.gesture.bundle import load_bundle

    rng = np.random.default_rng(0)
    peak = peak_macs_per_s()
    figures = {'peak_macs_per_s': peak}
    print(f'this core\'s peak: {peak / 1e9:.1f} G multiply-accumulates/s (float32 matrix '
          'product, one thread)')
    print(f'{"network":<28} {"window":>6} {"SLAYER steps/s":>15} {"+compiled neurons":>17} '
          f'{"compiled runtime":>16} {"x":>5} {"identical":>9} {"Lava steps/s":>13} '
          f'{"agreement":>9} {"synaptic ops/s":>14} {"of peak":>7}')
    for path in sorted(MODELS_DIR.rglob('*.net')):
        name = str(path.relative_to(MODELS_DIR).with_suffix(''))
        folder = path.parent
        if name.startswith('gesture'):
            window = load_bundle(folder).spec.window_steps
        elif name.startswith('digits'):
            bundle = load_converted(folder)
            window = bundle.steps + bundle.flush_steps
        else:
            window = 1                                  # H2 steps once a call, 100 or 200 Hz
        spec = read_spec(path)
        n = max(4, (40 if quick else 400) // window)
        windows = (rng.random((n, window, *spec.input_shape)) < 0.1).astype(np.float32)
        slayer = compare_runtimes(path, windows, lava=False, neurons='slayer')
        compiled = compare_runtimes(path, windows, lava=False)
        runtime_speed, runtime_output, synops = compiled_runtime(path, windows)
        identical = (np.array_equal(slayer.torch_output, compiled.torch_output)
                     and np.array_equal(slayer.torch_output, runtime_output))
        # Lava's simulator steps a few times a second here: a few of the windows
        both = None if quick else compare_runtimes(path, windows[:max(2, 40 // window)])
        lava = both.lava_steps_per_s if both else None
        agreement = both.agreement if both else float('nan')
        ratio = runtime_speed / slayer.torch_steps_per_s
        print(f'{name:<28} {window:>6} {slayer.torch_steps_per_s:>15,.0f} '
              f'{compiled.torch_steps_per_s:>17,.0f} {runtime_speed:>16,.0f} {ratio:>5.1f} '
              f'{identical!s:>9} {lava or float("nan"):>13,.1f} {agreement:>9.6f} '
              f'{synops / 1e6:>12,.0f} M {synops / peak:>7.2%}')
        figures.update({f'{name}_slayer_steps_per_s': slayer.torch_steps_per_s,
                        f'{name}_compiled_neurons_steps_per_s': compiled.torch_steps_per_s,
                        f'{name}_compiled_runtime_steps_per_s': runtime_speed,
                        f'{name}_compiled_runtime_over_slayer': ratio,
                        f'{name}_compiled_identical': float(identical),
                        f'{name}_compiled_synaptic_ops_per_s': synops,
                        f'{name}_compiled_share_of_peak': synops / peak})
        if both:
            figures[f'{name}_lava_steps_per_s'] = lava
            figures[f'{name}_spike_agreement'] = agreement
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--network', type=Path, help='an exported network (default: train one)')
    parser.add_argument('--clips', type=int, default=None, help='validation clips to stream')
    parser.add_argument('--quick', action='store_true', help='small sizes (smoke run)')
    args = parser.parse_args()
    n_clips = args.clips or (2 if args.quick else 8)

    print('shipped networks, random input spikes (10 %), one thread:')
    torch.set_num_threads(1)
    figures = shipped_networks(args.quick)
    with tempfile.TemporaryDirectory() as tmp:
        network = args.network or trained_network(Path(tmp), args.quick)
        clips, _ = MovingSquareClips().generate(n_clips, seed=99)
        print(f'\n{n_clips} clips of {clips.shape[1]} steps; window = steps per Lava run')
        print(f'{"window":>6} {"torch steps/s":>14} {"lava steps/s":>13} {"torch/lava":>10} '
              f'{"agreement":>10}')
        for window in (5, 20) if args.quick else (5, 10, 20, 40):
            result = compare_runtimes(network, as_windows(clips, window))
            speedup = result.torch_steps_per_s / result.lava_steps_per_s
            print(f'{window:>6} {result.torch_steps_per_s:>14,.0f} '
                  f'{result.lava_steps_per_s:>13,.1f} {speedup:>10.1f} {result.agreement:>10.6f}')
            figures[f'window_{window}_torch_steps_per_s'] = result.torch_steps_per_s
            figures[f'window_{window}_lava_steps_per_s'] = result.lava_steps_per_s
            figures[f'window_{window}_spike_agreement'] = result.agreement
        # The headline figures are the longest window: the least Lava per-run overhead.
        figures['torch_steps_per_s'] = result.torch_steps_per_s
        figures['lava_steps_per_s'] = result.lava_steps_per_s
        figures['spike_agreement'] = min(v for k, v in figures.items() if 'agreement' in k)
        figures['compiled_identical'] = min(v for k, v in figures.items() if 'identical' in k)

        ops = result.ops
        per_step = {k: v / result.steps for k, v in ops.as_dict().items() if v}
        print(f'\noperations per time step (counted from the spikes of {result.steps} steps):')
        for name, value in per_step.items():
            print(f'  {name}: {value:,.1f}')
            figures[f'{name}_per_step'] = value
        print(f'\nenergy per clip ({clips.shape[1]} steps = {clips.shape[1] * STEP_S * 1e3:.0f} '
              f'ms at {STEP_S * 1e3:g} ms/step), MODEL ESTIMATES:')
        for platform in PLATFORMS:
            estimate = EnergyModel(platform).estimate(ops, result.steps * STEP_S)
            per_clip_uj = estimate.joules * 1e6 / n_clips
            print(f'  {per_clip_uj:8.2f} uJ/clip  {estimate}')
            figures[f'{platform}_uj_per_clip_estimate'] = per_clip_uj
            figures[f'{platform}_watts_estimate'] = estimate.watts
    print(json.dumps({k: round(v, 6) if isinstance(v, float) else v
                      for k, v in figures.items()}))
    return 0 if figures['spike_agreement'] == figures['compiled_identical'] == 1.0 else 1


if __name__ == '__main__':
    raise SystemExit(main())
