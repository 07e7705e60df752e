"""H3's targets side by side in one run: the digits LeNet-5 converted into an SNN.

Two LeNet-5s on the real digits: one with ReLU (the seed's; converted with max or 99.9th
percentile threshold balancing) and one trained with QCFS activations (Bu et al. 2022;
converted with its learnt thresholds). Each is trained here in ~30 s unless given (a
`train digits` checkpoint or an ONNX file exported by any tool). For each method: the float
SNN and the Loihi fixed-point build on all 450 test digits over time steps, and the fewest
steps within 1 and 0.1 point of the ANN. Then the seed's deployment techniques one at a time
(reset mode, input coding, initial voltage, threshold scaling of the 8-bit weights, the early
decision), torch against Lava on the fixed-point network, and Loihi against an NCS2 (MODEL
ESTIMATES, coefficients and sources printed) next to the seed's 27x power and 5x energy.
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
    deployable_network,
    run_deployed,
    save_converted,
)
from hybrid_perception.hybrid.conversion.evaluation import (
    ann_accuracy,
    loihi_against_ncs2,
    run_spiking,
    steps_to,
)
from hybrid_perception.hybrid.conversion.model import linear_chain
from hybrid_perception.hybrid.conversion.normalization import activation_scales, normalize
from hybrid_perception.hybrid.conversion.stream import ImageClassifier
from hybrid_perception.hybrid.conversion.training import LeNetSpec, read_ann, train_digits
from hybrid_perception.networks.energy import EnergyModel, OpCounts
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

    converted, network = networks['percentile']
    model = models['relu'][1]
    print('\nthe deployment techniques one at a time (ReLU, percentile; accuracy at 16 / 32 '
          'steps):')
    techniques = {
        'reset subtract (float)': run_spiking(converted, test.images, test.labels, 32).accuracy,
        'reset to zero (float)': run_spiking(converted, test.images, test.labels, 32,
                                             reset='zero').accuracy,
        'Poisson input (float)': run_spiking(converted, test.images, test.labels, 32,
                                             coding='poisson').accuracy,
        'initial voltage 0.5 (float)': run_spiking(converted, test.images, test.labels, 32,
                                                   initial_voltage=0.5).accuracy,
    }
    for limit in (2.0, 4.0, 7.0):
        techniques[f'largest weight at {limit:g} of 8 (fixed)'] = run_deployed(
            deployable_network(converted, weight_limit=limit), test.images, test.labels, 32)[0]
    for name, accuracy in techniques.items():
        print(f'  {name:<34} {accuracy[15]:.4f} / {accuracy[31]:.4f}')
        figures[f'technique {name} at 32'] = float(accuracy[31])

    with tempfile.TemporaryDirectory() as tmp:
        bundle: ConvertedBundle = save_converted(Path(tmp) / 'digits', network, model, 48,
                                                 tuple('0123456789'))
        qcfs = save_converted(Path(tmp) / 'qcfs', networks['qcfs'][1], models['qcfs'][1], 16,
                              tuple('0123456789'))
        flush = bundle.flush_steps
        windows = coded_images(test.images[:3], 32, flush)
        agreement = min(compare_runtimes(b.snn_path, windows).agreement for b in (bundle, qcfs))
        print(f'\ntorch and Lava (fixed point) on the exported ReLU and QCFS networks, 3 images '
              f'of {32 + flush} steps: spike agreement {agreement:.6f}')
        figures['spike_agreement'] = agreement

        print('\nearly decision (48 steps at most, checked every 8; 150 images):')
        print(f'  {"margin":>6} {"accuracy":>9} {"steps":>6} {"synaptic ops":>13} '
              f'{"Loihi uJ (ESTIMATE)":>20}')
        loihi = EnergyModel('loihi')
        for margin in (0, 2, 4, 8):
            classifier = ImageClassifier(bundle, margin=margin, count_ops=True)
            right = sum(classifier(image[0]).label == str(label)
                        for image, label in zip(test.images[:150], test.labels[:150],
                                                strict=True))
            ops = classifier.ops_per_image()
            energy = loihi.estimate(ops).joules * 1e6
            print(f'  {margin:>6} {right / 150:9.4f} {classifier.mean_steps():6.1f} '
                  f'{ops.synaptic_op:13.4g} {energy:20.4g}')
            figures[f'early_margin_{margin}'] = {'accuracy': right / 150,
                                                 'steps': classifier.mean_steps(),
                                                 'energy_uj': energy}

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
