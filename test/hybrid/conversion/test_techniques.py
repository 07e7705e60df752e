"""The deployment techniques, each measured from the baseline, and the best of each combined:
on the real digits, with the report's table."""

from __future__ import annotations

import pytest

from hybrid_perception.hybrid.conversion.evaluation import ann_accuracy, run_spiking
from hybrid_perception.hybrid.conversion.normalization import activation_scales, normalize
from hybrid_perception.hybrid.conversion.report import write_report
from hybrid_perception.hybrid.conversion.techniques import (
    EARLY_MARGINS,
    FLOAT_TECHNIQUES,
    LOIHI_TECHNIQUES,
    Settings,
    compare_techniques,
)


@pytest.fixture(scope='module')
def measured(trained_qcfs, trained):
    _, train, test = trained
    images, labels = test.images[:60], test.labels[:60]
    ann = ann_accuracy(trained_qcfs, images, labels)
    baseline = Settings(method='qcfs', initial_voltage=0.5)
    techniques = compare_techniques(trained_qcfs, train.images[:200], images, labels, ann, 24,
                                    baseline, early_images=12)
    return techniques, ann, baseline


def test_every_technique_is_measured_from_the_baseline(measured):
    techniques, _, baseline = measured
    rows = techniques['rows']
    by_technique = {}
    for row in rows:
        by_technique.setdefault(row.technique, []).append(row)
    # no bias in this network: nothing to keep or drop
    expected = {t: [str(o) for o in options] for t, (_, options) in
                {**FLOAT_TECHNIQUES, **LOIHI_TECHNIQUES}.items() if t != 'bias'}
    expected['early decision'] = [str(m) for m in EARLY_MARGINS]
    for technique, options in expected.items():
        assert [row.setting for row in by_technique[technique]] == options
    assert len(by_technique['best combination']) == 2             # float, Loihi
    # the baseline's own setting gives the same figures in every technique it appears in
    base = [row for row in rows if row.network == 'float' and row.technique != 'best combination'
            and row.setting == str(getattr(baseline, FLOAT_TECHNIQUES[row.technique][0]))]
    assert len({(row.accuracy, row.synaptic_ops) for row in base}) == 1
    assert all(row.energy_uj > 0 and row.latency_ms > 0 for row in rows)


def test_the_best_combination_takes_each_techniques_best(measured):
    techniques, ann, _ = measured
    rows = techniques['rows']
    best = techniques['best_float']
    for technique, (name, _) in FLOAT_TECHNIQUES.items():
        mine = [row for row in rows if row.technique == technique]
        if mine:
            chosen = next(row for row in mine if row.setting == str(best[name]))
            assert chosen.rank() == min(row.rank() for row in mine)
    early = [row for row in rows if row.technique == 'early decision']
    loihi = techniques['best_loihi']
    # an early decision stops images sooner, never later
    assert all(row.steps <= early[0].steps for row in early)
    chosen = next(row for row in early if row.setting == str(loihi['early_margin']))
    assert chosen.accuracy >= ann - 0.01 or loihi['early_margin'] == 0


def test_a_switch_changes_what_it_names(measured, trained_qcfs, trained):
    """The reset row is the float SNN run with that reset (not a relabelled baseline)."""
    techniques, _, _ = measured
    _, train, test = trained
    chain = normalize(trained_qcfs, activation_scales(trained_qcfs, train.images[:200], 'qcfs'))
    zero = run_spiking(chain, test.images[:60], test.labels[:60], 24, reset='zero',
                       initial_voltage=0.5)
    row = next(r for r in techniques['rows'] if r.technique == 'reset' and r.setting == 'zero')
    t = int(row.steps)
    assert row.accuracy == pytest.approx(zero.accuracy[t - 1])
    assert row.synaptic_ops == pytest.approx(zero.synaptic_ops_per_sample[t - 1])
    subtract = next(r for r in techniques['rows']
                    if r.technique == 'reset' and r.setting == 'subtract')
    assert (row.steps_to_target, row.synaptic_ops) != (subtract.steps_to_target,
                                                      subtract.synaptic_ops)


def test_the_report_tables_the_techniques(measured, trained_qcfs, trained, tmp_path):
    techniques, ann, _ = measured
    _, _, test = trained
    result = run_spiking(trained_qcfs, test.images[:20], test.labels[:20], 8)
    summary = write_report(tmp_path, ann, result, [4, 8], {
        'data': 'digits', 'method': 'qcfs', 'reset': 'subtract', 'coding': 'analog',
        'initial_voltage': 0.5}, trained_qcfs, techniques=techniques)
    report = (tmp_path / 'report.md').read_text()
    assert '## Deployment techniques' in report
    for row in techniques['rows']:
        assert f'| {row.technique} | {row.setting} | {row.network} |' in report
    assert len(summary['techniques']['rows']) == len(techniques['rows'])
    assert summary['techniques']['best_loihi'] == techniques['best_loihi']
