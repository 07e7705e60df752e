"""H3's targets side by side in one run: the digits LeNet-5 converted into an SNN.

Reads the ANN as an ONNX file (the shipped ``digits/ann.onnx``, or ``--onnx`` exported by any
tool) and, for each threshold-balancing method (max, 99.9th percentile), converts it, scores
the float SNN and the Loihi fixed-point build on all 450 test digits over time steps and
reports the fewest steps within 1 and 0.1 point of the ANN. Then the seed's deployment
techniques one at a time (reset mode, input coding, threshold scaling of the 8-bit weights,
the early decision), torch against Lava on the fixed-point network, and Loihi against an NCS2
(MODEL ESTIMATES, coefficients and sources printed) next to the seed's 27x power and 5x
energy. Ends with one JSON line of the figures.

    scripts/with-venv.sh python benchmarks/conversion.py [--onnx FILE] [--steps 128] [--quick]
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np

from hybrid_perception.datasets.digits import load_digits
from hybrid_perception.hybrid.common import model_folder
from hybrid_perception.hybrid.conversion.bundle import (
    ConvertedBundle,
    deployable_network,
    rate_spikes,
    run_deployed,
    save_converted,
)
from hybrid_perception.hybrid.conversion.evaluation import (
    ann_accuracy,
    loihi_against_ncs2,
    run_spiking,
)
from hybrid_perception.hybrid.conversion.model import linear_chain
from hybrid_perception.hybrid.conversion.normalization import activation_scales, normalize
from hybrid_perception.hybrid.conversion.onnx_import import read_onnx
from hybrid_perception.hybrid.conversion.stream import ImageClassifier, ann_macs
from hybrid_perception.networks.energy import EnergyModel
from hybrid_perception.networks.snn.compare import compare_runtimes


def fewest(accuracy: np.ndarray, target: float) -> int | None:
    reached = np.nonzero(accuracy >= target)[0]
    return int(reached[0]) + 1 if reached.size else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--onnx', type=Path, default=model_folder('digits') / 'ann.onnx')
    parser.add_argument('--steps', type=int, default=128)
    parser.add_argument('--quick', action='store_true', help='150 test images, 64 steps')
    args = parser.parse_args()
    steps = 64 if args.quick else args.steps
    model, shape = read_onnx(args.onnx)
    size = shape[-1]
    train, test = load_digits('train', size), load_digits('test', size)
    if args.quick:
        test = type(test)(test.images[:150], test.labels[:150])
    chain = linear_chain(model, shape)
    ann = ann_accuracy(chain, test.images, test.labels)
    print(f'{args.onnx}: {len(chain)} layers; ANN {ann:.4f} on {len(test)} real test digits')
    figures: dict = {'ann_accuracy': ann, 'test_images': len(test)}

    print(f'\nfewest time steps to the ANN - 1 point / - 0.1 point (of {steps}):')
    print(f'  {"method":<11} {"network":<18} {"-1 pt":>6} {"-0.1 pt":>8} {"acc@32":>7}')
    networks = {}
    for method in ('max', 'percentile'):
        converted = normalize(chain, activation_scales(chain, train.images[:500], method))
        float_run = run_spiking(converted, test.images, test.labels, steps)
        network = deployable_network(converted)
        fixed, _ = run_deployed(network, test.images, test.labels, steps)
        networks[method] = (converted, network)
        for name, accuracy in (('float', float_run.accuracy), ('Loihi fixed point', fixed)):
            one, tenth = fewest(accuracy, ann - 0.01), fewest(accuracy, ann - 0.001)
            print(f'  {method:<11} {name:<18} {one!s:>6} {tenth!s:>8} {accuracy[31]:7.4f}')
            key = f'{method}_{"float" if name == "float" else "fixed"}'
            figures.update({f'{key}_steps_to_ann_minus_1': one,
                            f'{key}_steps_to_ann_minus_0.1': tenth,
                            f'{key}_accuracy_at_32': float(accuracy[31])})

    converted, network = networks['percentile']
    print('\nthe deployment techniques one at a time (percentile; accuracy at 16 / 32 steps):')
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
        images = test.images[:3]
        flush = bundle.flush_steps
        windows = np.concatenate([rate_spikes(images, 32), np.zeros(
            (len(images), flush, *images.shape[1:]), np.float32)], axis=1)
        agreement = compare_runtimes(bundle.snn_path, windows).agreement
        print(f'\ntorch and Lava (fixed point) on the exported network, 3 images of '
              f'{32 + flush} steps: spike agreement {agreement:.6f}')
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
            if margin == 0:
                at_48 = ops

        macs = ann_macs(bundle)
        print('\nLoihi against an NCS2, one image (MODEL ESTIMATES; seed: 27x power, 5x '
              'energy, measured):')
        for mode in ('typical', 'ncs_measured'):
            c = loihi_against_ncs2(at_48, 48, macs, ncs2_mode=mode)
            print(f'  NCS2 {mode}: Loihi {c["loihi"]["energy_uj"]:.4g} uJ at '
                  f'{c["loihi"]["watts"]:.3g} W, NCS2 {c["ncs2"]["energy_uj"]:.4g} uJ at '
                  f'{c["ncs2"]["watts"]:.3g} W: {c["power_ratio"]:.3g}x less power, '
                  f'{c["energy_ratio"]:.3g}x less energy')
            figures[f'power_ratio_ncs2_{mode}'] = c['power_ratio']
            figures[f'energy_ratio_ncs2_{mode}'] = c['energy_ratio']
        print(f'  {c["loihi"]["model"]}\n  {c["ncs2"]["model"]}')
    print(json.dumps({k: round(v, 6) if isinstance(v, float) else v
                      for k, v in figures.items()}))
    return 0 if figures['spike_agreement'] == 1.0 else 1


if __name__ == '__main__':
    raise SystemExit(main())
