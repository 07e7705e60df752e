"""The `hybrid-perception` command, run as users run it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from hybrid_perception.hybrid.gesture.bundle import load_bundle
from hybrid_perception.io.rosbag import EventBagReader


def run(*args, timeout=600):
    return subprocess.run([sys.executable, '-m', 'hybrid_perception.cli', *args],
                          capture_output=True, text=True, timeout=timeout)


def test_help_lists_the_workflows():
    result = run('--help')
    assert result.returncode == 0
    for command in ('demo', 'simulate', 'record', 'replay', 'train', 'export', 'run-snn', 'run',
                    'dataset', 'evaluate'):
        assert command in result.stdout


def test_simulate_writes_a_replayable_bag(tmp_path):
    result = run('simulate', str(tmp_path / 'sim'), '--duration', '0.2', '--width', '32',
                 '--height', '24')
    assert result.returncode == 0, result.stderr
    reader = EventBagReader(tmp_path / 'sim')
    packets = list(reader)
    total = sum(p.size for p in packets)
    assert reader.sensor.width == 32 and total > 0
    assert f'wrote {total} events' in result.stdout
    starts = np.array([p['timestamp'][0] for p in packets])
    assert np.all(np.diff(starts) > 0)


def test_replay_of_a_missing_file_fails_clearly(tmp_path):
    result = run('replay', str(tmp_path / 'missing'), timeout=60)
    assert result.returncode != 0
    assert 'no such file' in result.stdout + result.stderr


def test_train_export_and_run_an_snn(tmp_path):
    out = tmp_path / 'snn'
    trained = run('train', '--out', str(out), '--epochs', '1', '--train-clips', '16',
                  '--val-clips', '8', timeout=600)
    assert trained.returncode == 0, trained.stderr
    for name in ('best.pt', 'last.pt', 'network.net', 'training.png'):
        assert (out / name).stat().st_size > 0, name
    exported = run('export', str(out / 'last.pt'), '-o', str(tmp_path / 'last.net'))
    assert exported.returncode == 0, exported.stderr
    ran = run('run-snn', str(tmp_path / 'last.net'), '--clips', '1', '--window', '5',
              timeout=600)
    assert ran.returncode == 0, ran.stderr
    assert 'spike agreement 1.000000' in ran.stdout
    assert ran.stdout.count('ESTIMATE') == 2 and 'Davies' in ran.stdout


def test_snn_commands_refuse_bad_input_clearly(tmp_path, capsys):
    """In this process (four interpreters starting torch cost half a minute): exit status 2
    and one line saying why, as ``main`` gives them to the shell."""
    from hybrid_perception.cli.main import main

    def refused(*args) -> str:
        assert main(list(args)) == 2
        return capsys.readouterr().err

    assert 'no spec file' in refused('train', '--spec', str(tmp_path / 'none.yaml'), '--out',
                                     str(tmp_path))
    assert 'built-in: gesture' in refused('train', 'gesture', '--spec',
                                          str(tmp_path / 'none.yaml'), '--out', str(tmp_path))
    (tmp_path / 'junk.net').write_bytes(b'not hdf5')
    assert 'not a network exported' in refused('run-snn', str(tmp_path / 'junk.net'))
    assert 'no checkpoint' in refused('export', str(tmp_path / 'missing.pt'))
    # one host of a split graph names nodes its YAML has
    assert 'no node loihi_node (it has dvs_driver, snn_node' in refused(
        'run', str(Path(__file__).parents[1] / 'config' / 'gesture.yaml'), '--nodes',
        'snn_node', 'loihi_node')


def test_train_gesture_writes_deployable_models_and_a_summary(tmp_path):
    out = tmp_path / 'gesture'
    trained = subprocess.run(
        [sys.executable, '-m', 'hybrid_perception.cli', 'train', 'gesture', '--out', str(out),
         '--epochs', '1', '--finetune-epochs', '1', '--takes', '1', '--test-takes', '1',
         '--subjects', '4', '--spiking', '1', '--interval', '8'], capture_output=True,
        text=True, timeout=900,
        env={**os.environ, 'HYBRID_PERCEPTION_CACHE': str(tmp_path / 'cache')})
    assert trained.returncode == 0, trained.stderr
    summary = json.loads((out / 'summary.json').read_text())
    assert [(row['model'], row['kind'], row['interval']) for row in summary] == [
        ('S0A6', 'ann', 8), ('S1A5', 'hybrid', 8), ('S6A0', 'snn', 8)]
    assert all(0.0 <= row['test_accuracy'] <= 1.0 for row in summary)
    assert [row['started_from'] for row in summary] == ['scratch', 'S0A6', 'S0A6']
    assert all(len(row['history']) == 1 for row in (
        load_bundle(out / kind).metrics for kind in ('ann', 'hybrid', 'snn')))
    assert sorted(p.name for p in (out / 'hybrid').iterdir()) == [
        'ann.onnx', 'model.pt', 'model.yaml', 'snn.net']
    assert not (out / 'ann' / 'snn.net').exists() and not (out / 'snn' / 'ann.onnx').exists()
    assert (tmp_path / 'cache' / 'gesture-clips.npz').is_file()
    assert '| S1A5 | hybrid | 8 |' in trained.stdout
    # --resume keeps what is trained: a sweep can span sessions
    (out / 'summary.json').unlink()
    resumed = subprocess.run(
        [sys.executable, '-m', 'hybrid_perception.cli', 'train', 'gesture', '--out', str(out),
         '--takes', '1', '--test-takes', '1', '--subjects', '4', '--spiking', '1', '--interval',
         '8', '--resume'],
        capture_output=True, text=True, timeout=300,
        env={**os.environ, 'HYBRID_PERCEPTION_CACHE': str(tmp_path / 'cache')})
    assert resumed.returncode == 0, resumed.stderr
    assert resumed.stdout.count('kept, already trained') == 3
    assert json.loads((out / 'summary.json').read_text()) == summary


@pytest.mark.parametrize('flags, expected', [
    ([], [(0, 4), (1, 4), (6, 4)]),
    (['--spiking', '3', '--interval', '8', '--no-baselines'], [(0, 8), (3, 8)]),
    (['--sweep', '--intervals', '8'], [(x, 8) for x in (0, 1, 2, 3, 4, 6)]),
    (['--sweep'], [(x, i) for i in (2, 4, 8) for x in (0, 1, 2, 3, 4, 6)]),
])
def test_train_gesture_trains_the_cuts_asked_for_ann_first(flags, expected):
    """--intervals splits the seed's sweep between processes sharing one --out."""
    from hybrid_perception.cli.main import build_parser
    from hybrid_perception.cli.train_gesture import models_to_train

    specs = models_to_train(build_parser().parse_args(['train', 'gesture', *flags]))
    assert [(spec.spiking, spec.interval) for spec in specs] == expected
    assert all(spec.bias for spec in specs)


def test_train_gesture_without_biases_gives_an_ann_with_none():
    """What `convert` needs to deploy the all-ANN model on Loihi (SLAYER blocks have none)."""
    from hybrid_perception.cli.main import build_parser
    from hybrid_perception.cli.train_gesture import models_to_train
    from hybrid_perception.hybrid.gesture import HybridClassifier, HybridSpec

    specs = models_to_train(build_parser().parse_args(
        ['train', 'gesture', '--spiking', '0', '--no-baselines', '--bias', 'off']))
    assert [(spec.spiking, spec.bias) for spec in specs] == [(0, False)]
    assert HybridSpec.from_dict(specs[0].to_dict()) == specs[0]
    assert all(bias is None for _, bias in HybridClassifier(specs[0]).layer_parameters())
    with_biases = HybridSpec.from_dict({**specs[0].to_dict(), 'bias': True})
    assert all(bias is not None for _, bias in HybridClassifier(with_biases).layer_parameters())


def test_dataset_and_evaluate_score_the_live_graph_like_the_stages_offline(tmp_path):
    """Bag -> live graph -> metrics.json/report.md; the live predictions are the model's."""
    from hybrid_perception.datasets.gesture_bag import read_gesture_labels
    from hybrid_perception.events.array import concatenate
    from hybrid_perception.hybrid.common import EventWindows
    from hybrid_perception.hybrid.gesture.decision import DecisionStage
    from hybrid_perception.hybrid.gesture.evaluation import Decision, score_gestures
    from hybrid_perception.hybrid.gesture.stream import SpikingStage
    from hybrid_perception.io.sources import packetize
    from hybrid_perception.networks.accumulator import SpikeAccumulator

    bag, out = tmp_path / 'gestures', tmp_path / 'evaluation'
    written = run('dataset', 'gesture', '--out', str(bag), '--samples', '4')
    assert written.returncode == 0, written.stderr
    evaluated = run('evaluate', '--pipeline', 'gesture', '--bag', str(bag), '--out', str(out),
                    '--model', 'hybrid=gesture/hybrid', '--model', 'ann=gesture/ann',
                    timeout=300)
    assert evaluated.returncode == 0, evaluated.stderr
    assert f'report: {out / "report.md"}' in evaluated.stdout
    metrics = json.loads((out / 'metrics.json').read_text())
    assert set(metrics['models']) == {'hybrid', 'ann'}
    hybrid, ann = metrics['models']['hybrid'], metrics['models']['ann']
    assert hybrid['decisions'] == ann['decisions'] == 4 * 240 // 40 - 1  # the last never closes
    assert hybrid['synaptic_ops_per_inference'] > 0 and ann['synaptic_ops_per_inference'] == 0
    assert ann['macs_per_inference'] > hybrid['macs_per_inference'] > 0
    for m in (hybrid, ann):
        assert 0 < m['latency_ms']['p50'] <= m['latency_ms']['p99']
        assert m['energy_mj_per_inference'] > 0 and m['energy_is_estimate']
        assert all(e['source'] for e in m['energy_estimates'].values())
        for part, layers in m['energy_uj_per_layer'].items():
            assert sum(layers.values()) == pytest.approx(m['energy_estimates'][part]['mj'] * 1e3)
    assert list(hybrid['energy_uj_per_layer']['snn']) == ['layer0']  # S1A5's head
    assert 'spiking head costs' in (out / 'report.md').read_text()
    for plot in ('confusion.png', 'latency.png', 'accuracy_energy.png'):
        assert (out / plot).stat().st_size > 1000
    # the same bag through the stages offline gives the same score
    bundle = load_bundle('gesture/hybrid')
    reader = EventBagReader(bag)
    events = concatenate(list(reader))
    windows = EventWindows(reader.sensor, bundle.binning.bin_us, 4, bundle.binning.downsample)
    head, tail = SpikingStage(bundle), DecisionStage(bundle)
    accumulator = SpikeAccumulator((head.neurons,), 4)
    decisions = [Decision(w.start_us, w.end_us, tail(counts))
                 for stamp, packet in packetize([events], 5000)
                 for w in windows.push(packet, stamp)
                 for counts in accumulator.push(head(w.spikes))]
    truth, predicted = score_gestures(decisions, read_gesture_labels(bag), 80_000)
    assert hybrid['accuracy'] == np.mean(truth == predicted)
    assert np.trace(hybrid['confusion']) == np.sum(truth == predicted)


def test_dataset_pose_writes_a_bag_with_truth_per_view(tmp_path):
    from hybrid_perception.datasets.pose_bag import read_pose_truth
    bag = tmp_path / 'poses'
    result = run('dataset', 'pose', '--out', str(bag), '--samples', '2', '--take-seconds', '0.1')
    assert result.returncode == 0, result.stderr
    truth = read_pose_truth(bag)
    assert f'{len(truth.label_us)} labelled poses' in result.stdout
    assert [c.name for c in truth.cameras] == ['cam0', 'cam1']
    assert set(truth.joints_2d) == {'cam0', 'cam1'} and truth.joints_3d.shape == (22, 13, 3)
    refused = run('dataset', 'pose', '--out', str(bag), '--samples', '1')
    assert refused.returncode == 2 and 'exists' in refused.stderr   # never overwritten
    empty = run('dataset', 'pose', '--out', str(tmp_path / 'none'), '--take-seconds', '0')
    assert empty.returncode == 2 and '--take-seconds must be positive' in empty.stderr
    assert not (tmp_path / 'none').exists()


def test_train_pose_refuses_takes_too_short_for_two_windows(tmp_path):
    result = run('train', 'pose', '--out', str(tmp_path / 'pose'), '--take-seconds', '0.25')
    assert result.returncode == 2 and '--take-seconds must leave room' in result.stderr
    assert not (tmp_path / 'pose').exists()
    result = run('train', 'pose', '--out', str(tmp_path / 'pose'), '--max-shift-px', '-1')
    assert result.returncode == 2 and '--max-shift-px must be 0 or more' in result.stderr
    result = run('train', 'pose', '--out', str(tmp_path / 'pose'), '--partial-views', '1.5')
    assert result.returncode == 2 and '--partial-views must be a share' in result.stderr


def test_train_pose_from_a_trained_initializer_keeps_its_ann_frozen(tmp_path):
    """Stage 1 skipped: the 200 Hz SNNs train on the shipped 100 Hz model's ANN, which comes
    out unchanged (only the state heads and the SNNs learn)."""
    import torch

    from hybrid_perception.hybrid.pose.bundle import load_pose_bundle

    out = tmp_path / 'pose-200'
    result = run('train', 'pose', '--initializer', 'pose', '--rate', '200', '--pose-takes', '1',
                 '--people', '3', '--take-seconds', '0.4', '--epochs', '1', '--max-shift-px', '16',
                 '--partial-views', '0.5', '--out', str(out))
    assert result.returncode == 0, result.stderr
    assert 'stage 1 skipped' in result.stdout
    assert 'train 48 windows, val 96 windows' in result.stdout  # 1 + 2 of the 12 people
    trained, shipped = load_pose_bundle(out), load_pose_bundle('pose')
    assert trained.spec == shipped.spec.at_rate(200)
    assert trained.metrics['settings']['initializer'] == 'pose'   # as given: portable
    assert trained.metrics['settings']['max_shift_px'] == 16      # people moved while training
    assert trained.metrics['settings']['partial_views'] == 0.5    # and half the views cut
    before, after = shipped.initializer().state_dict(), trained.initializer().state_dict()
    frozen = [name for name in before if not name.startswith('state_heads')]
    assert frozen and all(torch.equal(before[n], after[n]) for n in frozen)
    assert any(not torch.equal(before[n], after[n]) for n in before if n not in frozen)
    refused = run('train', 'pose', '--initializer', 'pose', '--spec', 'pose', '--out',
                  str(tmp_path / 'both'))
    assert refused.returncode == 2 and 'leave out --spec' in refused.stderr


def test_evaluate_pose_scores_the_live_two_camera_graph_like_the_model_offline(tmp_path):
    """Pose bag -> three live graphs -> metrics.json/report.md; nothing is lost on the way, and
    the live ANN baseline's error is the shipped initializer's own, computed here offline."""
    import numpy as np

    from hybrid_perception.datasets.pose_bag import read_pose_truth
    from hybrid_perception.events.array import concatenate
    from hybrid_perception.geometry.joints import mpjpe
    from hybrid_perception.hybrid.pose.bundle import load_pose_bundle
    from hybrid_perception.hybrid.pose.evaluation import scored_steps
    from hybrid_perception.hybrid.pose.windows import pose_at
    from hybrid_perception.io.rosbag import EventBagReader

    bag, out = tmp_path / 'poses', tmp_path / 'evaluation'
    written = run('dataset', 'pose', '--out', str(bag), '--samples', '2', '--take-seconds',
                  '0.5')
    assert written.returncode == 0, written.stderr
    evaluated = run('evaluate', '--pipeline', 'pose', '--bag', str(bag), '--out', str(out),
                    '--rate', '0.5', timeout=600)
    assert evaluated.returncode == 0, evaluated.stderr
    assert f'report: {out / "report.md"}' in evaluated.stdout
    metrics = json.loads((out / 'metrics.json').read_text())
    models = {m: metrics['models'][m]['100hz'] for m in ('hybrid', 'ann', 'snn')}
    for m in models.values():
        assert m['steps_returned'] == 1.0                  # every scored step came back
        assert np.isfinite([m['mpjpe_2d_px'], m['mpjpe_3d_mm']]).all()
        assert 0 < m['latency_ms']['p50'] <= m['latency_ms']['p99']
        assert m['power_is_estimate'] and all('ESTIMATE' in line for line in m['estimate'])
    assert models['hybrid']['power_w'] < models['ann']['power_w']
    assert models['snn']['power_w'] < models['hybrid']['power_w']
    for plot in ('error_by_step.png', 'error_power.png'):
        assert (out / plot).stat().st_size > 0 and plot in (out / 'report.md').read_text()

    bundle = load_pose_bundle('pose')
    windows, initializer = bundle.spec.windows, bundle.pose_initializer('torch')
    truth = read_pose_truth(bag)
    predicted, true = [], []
    for camera in truth.cameras:
        reader = EventBagReader(bag, topic=f'/{camera.name}/events')
        events = concatenate(list(reader))
        reader.close()
        for labels, ends in scored_steps(truth, windows):
            predicted.append(initializer.poses(np.stack(
                [windows.ann_input(events, int(end)) for end in ends])))
            true.append(pose_at(truth.label_us[labels], truth.joints_2d[camera.name][labels],
                                ends))
    offline = mpjpe(np.concatenate(predicted), np.concatenate(true))
    assert models['ann']['mpjpe_2d_px'] == pytest.approx(offline, abs=1e-3)


@pytest.mark.parametrize('args', [['--rounds', '1'], ['--seconds', '0']])
def test_the_paired_latency_benchmark_refuses_what_cannot_be_paired(args):
    """One round has no difference to bootstrap, and no seconds no decision: said before a
    bag is written or a graph started."""
    script = Path(__file__).resolve().parents[1] / 'benchmarks' / 'h1_latency.py'
    result = subprocess.run([sys.executable, str(script), *args], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 2
    assert '--rounds must be at least 2 and --seconds positive' in result.stderr
