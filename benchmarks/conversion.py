"""H3's targets side by side in one run: the digits LeNet-5 converted into an SNN.

Two LeNet-5s on the real digits: one with ReLU (the seed's; converted with max or 99.9th
percentile threshold balancing) and one trained with QCFS activations (Bu et al. 2022;
converted with its learnt thresholds). Each is trained here in ~30 s unless given (a
`train digits` checkpoint or an ONNX file exported by any tool). For each method: the float
SNN and the Loihi fixed-point build on all 450 test digits over time steps, and the fewest
steps within 1 and 0.1 point of the ANN. Then the seed's deployment techniques one at a time
and their best combination (hybrid.conversion.techniques: threshold balancing, reset, input
coding, initial voltage; weight exponent and bits, the early decision), torch against Lava on
the fixed-point networks, and Loihi against an NCS2 (MODEL ESTIMATES, coefficients and
sources printed) next to the seed's 27x power and 5x energy.
Ends with one JSON line of the figures.

    scripts/with-venv.sh python benchmarks/conversion.py [--relu FILE] [--qcfs FILE] [--quick]
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from pathlib import Path

from hybrid_perception.datasets.digits import load_digits
from hybrid_perception.hybrid.conversion.bundle import (
    ConvertedBundle,
    coded_images,
    save_converted,
)
from hybrid_perception.hybrid.conversion.evaluation import (
    ann_accuracy,
    loihi_against_ncs2,
    run_spiking,
    steps_to,
)
from hybrid_perception.hybrid.conversion.loihi_build import deployable_network, run_deployed
from hybrid_perception.hybrid.conversion.model import linear_chain
from hybrid_perception.hybrid.conversion.normalization import activation_scales, normalize
from hybrid_perception.hybrid.conversion.stream import ImageClassifier
from hybrid_perception.hybrid.conversion.techniques import Settings, compare_techniques
from hybrid_perception.hybrid.conversion.training import LeNetSpec, read_ann, train_digits
from hybrid_perception.networks.energy import OpCounts
from hybrid_perception.networks.snn.compare import compare_runtimes
from hybrid_perception.networks.training import TrainConfig


def trained(path: Path | None, activation: str, folder: Path, train, test):
    """The given network, or a LeNet-5 trained here (30 epochs, seed 0)."""
    if path is None:
        result = train_digits(train, test, folder / activation, TrainConfig(epochs=30, lr=2e-3),
                              LeNetSpec(activation=activation), progress=False)
        path = result.best_checkpoint
    return (path, *read_ann(path))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--relu', type=Path, default=None,
                        help='a ReLU LeNet-5 (checkpoint or ONNX; default: trained here)')
    parser.add_argument('--qcfs', type=Path, default=None,
                        help='a QCFS LeNet-5 checkpoint (default: trained here)')
    parser.add_argument('--steps', type=int, default=128)
    parser.add_argument('--quick', action='store_true', help='150 test images, 64 steps')
    args = parser.parse_args()
    steps = 64 if args.quick else args.steps
    train, test = load_digits('train'), load_digits('test')
    if args.quick:
        test = type(test)(test.images[:150], test.labels[:150])
    figures: dict = {'test_images': len(test)}
    folder = Path(tempfile.mkdtemp(prefix='conversion-bench-'))
    models = {'relu': trained(args.relu, 'relu', folder, train, test),
              'qcfs': trained(args.qcfs, 'qcfs', folder, train, test)}
    chains, anns = {}, {}
    for name, (path, model, shape) in models.items():
        chains[name] = linear_chain(model, shape)
        anns[name] = ann_accuracy(chains[name], test.images, test.labels)
        print(f'{name}: {path}, ANN {anns[name]:.4f} on {len(test)} real test digits')
        figures[f'{name}_ann_accuracy'] = anns[name]

    print(f'\nfewest time steps to the ANN - 1 point / - 0.1 point (of {steps}):')
    print(f'  {"method":<11} {"network":<18} {"-1 pt":>6} {"-0.1 pt":>8} {"acc@8":>7} '
          f'{"acc@16":>7} {"acc@32":>7}')
    networks = {}
    for method, name in (('max', 'relu'), ('percentile', 'relu'), ('qcfs', 'qcfs')):
        chain, ann = chains[name], anns[name]
        converted = normalize(chain, activation_scales(chain, train.images[:500], method))
        float_run = run_spiking(converted, test.images, test.labels, steps,
                                initial_voltage=0.5 if method == 'qcfs' else 0.0)
        network = deployable_network(converted)
        fixed, _ = run_deployed(network, test.images, test.labels, steps)
        networks[method] = (converted, network)
        for kind, accuracy in (('float', float_run.accuracy), ('Loihi fixed point', fixed)):
            one, tenth = steps_to(accuracy, ann - 0.01), steps_to(accuracy, ann - 0.001)
            print(f'  {method:<11} {kind:<18} {one!s:>6} {tenth!s:>8} {accuracy[7]:7.4f} '
                  f'{accuracy[15]:7.4f} {accuracy[31]:7.4f}')
            key = f'{method}_{"float" if kind == "float" else "fixed"}'
            figures.update({f'{key}_steps_to_ann_minus_1': one,
                            f'{key}_steps_to_ann_minus_0.1': tenth,
                            f'{key}_accuracy_at_16': float(accuracy[15]),
                            f'{key}_accuracy_at_32': float(accuracy[31])})

    print('\nthe deployment techniques one at a time from the ReLU network\'s percentile '
          'baseline (64 steps at most; the early decision on the first 150 images):')
    techniques = compare_techniques(chains['relu'], train.images[:500], test.images,
                                    test.labels, anns['relu'], min(steps, 64),
                                    Settings(method='percentile'), early_images=150)
    print(f'  {"technique":<20} {"setting":<40} {"network":<7} {"to -1 pt":>8} {"steps":>6} '
          f'{"accuracy":>8} {"Loihi uJ (ESTIMATE)":>20}')
    for row in techniques['rows']:
        print(f'  {row.technique:<20} {row.setting:<40} {row.network:<7} '
              f'{row.steps_to_target!s:>8} {row.steps:6.1f} {row.accuracy:8.4f} '
              f'{row.energy_uj:20.4g}')
        figures[f'technique {row.technique} {row.setting} ({row.network})'] = {
            'steps_to_ann_minus_1': row.steps_to_target, 'steps': row.steps,
            'accuracy': row.accuracy, 'energy_uj': row.energy_uj}
    print(f'  best float: {techniques["best_float"]}\n  best Loihi: {techniques["best_loihi"]}')

    model = models['relu'][1]
    network = networks['percentile'][1]
    with tempfile.TemporaryDirectory() as tmp:
        bundle: ConvertedBundle = save_converted(Path(tmp) / 'digits', network, model, 32,
                                                 tuple('0123456789'))
        qcfs = save_converted(Path(tmp) / 'qcfs', networks['qcfs'][1], models['qcfs'][1], 16,
                              tuple('0123456789'))
        flush = bundle.flush_steps
        windows = coded_images(test.images[:3], 32, flush)
        agreement = min(compare_runtimes(b.snn_path, windows).agreement for b in (bundle, qcfs))
        print(f'\ntorch and Lava (fixed point) on the exported ReLU and QCFS networks, 3 images '
              f'of {32 + flush} steps: spike agreement {agreement:.6f}')
        figures['spike_agreement'] = agreement

        print('\nLoihi against an NCS2, one image (MODEL ESTIMATES; seed: 27x power, 5x '
              'energy, measured), the QCFS build at 16 steps:')
        classifier = ImageClassifier(qcfs, count_ops=True)
        for image in test.images[:150]:
            classifier(image[0])
        for mode in ('typical', 'ncs_measured'):
            c = loihi_against_ncs2(classifier.ops_per_image(), 16, OpCounts(mac=qcfs.ann_macs),
                                   ncs2_mode=mode)
            print(f'  NCS2 {mode}: Loihi {c["loihi"]["energy_uj"]:.4g} uJ at '
                  f'{c["loihi"]["watts"]:.3g} W, NCS2 {c["ncs2"]["energy_uj"]:.4g} uJ at '
                  f'{c["ncs2"]["watts"]:.3g} W: {c["power_ratio"]:.3g}x less power, '
                  f'{c["energy_ratio"]:.3g}x less energy')
            figures[f'power_ratio_ncs2_{mode}'] = c['power_ratio']
            figures[f'energy_ratio_ncs2_{mode}'] = c['energy_ratio']
        print(f'  {c["loihi"]["model"]}\n  {c["ncs2"]["model"]}')
    shutil.rmtree(folder)
    print(json.dumps({k: round(v, 6) if isinstance(v, float) else v
                      for k, v in figures.items()}))
    return 0 if figures['spike_agreement'] == 1.0 else 1


if __name__ == '__main__':
    raise SystemExit(main())
