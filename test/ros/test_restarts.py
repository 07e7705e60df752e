"""A stage of H1 SIGKILLed mid-stream and started again rejoins the running graph: the
decisions stop while it is gone and resume once the new process is ready, with nothing else
restarted, and the stage after it counts the gap in /diagnostics. Each node in its own
process, as ``ros2 launch`` runs them."""

from __future__ import annotations

import time
from pathlib import Path

from support import Host, recorded

from hybrid_perception.datasets.gestures import GestureClips
from hybrid_perception.io.rosbag import EventBagWriter
from hybrid_perception.io.sources import packetize

ROOT = Path(__file__).resolve().parents[2]


def test_a_killed_accumulator_restarted_rejoins_the_graph(gesture_events, tmp_path):
    bag = tmp_path / 'take'
    with EventBagWriter(bag, GestureClips().renderer.sensor) as writer:
        for stamp, packet in packetize([gesture_events], 1000):
            writer.write(packet, stamp)
    graph = str(ROOT / 'config' / 'gesture.yaml')
    host = Host(None, tmp_path)
    times: dict[str, int] = {}
    try:
        host.start('record', 'record', str(tmp_path / 'run'), '--topic', '/classification',
                   '--topic', '/diagnostics')
        host.start('ann', 'run', graph, '--nodes', 'ann_node')
        accumulator = host.start('accumulator', 'run', graph, '--nodes', 'accumulator_node')
        host.start('snn', 'run', graph, '--nodes', 'dvs_driver', 'snn_node',
                   '--set', 'dvs_driver.source=rosbag', '--set', f'dvs_driver.path={bag}',
                   '--set', 'dvs_driver.loop=true')
        assert host.wait_for('accumulator', 'input /snn/spikes connected'), host.output()
        assert host.wait_for('ann', 'input /features connected'), host.output()
        time.sleep(4.0)
        times['kill'] = time.time_ns()
        accumulator.kill()
        accumulator.wait()
        time.sleep(3.0)
        times['restart'] = time.time_ns()
        host.start('accumulator-again', 'run', graph, '--nodes', 'accumulator_node')
        assert host.wait_for('accumulator-again', 'input /snn/spikes connected'), host.output()
        times['ready'] = time.time_ns()
        time.sleep(5.0)
        times['end'] = time.time_ns()
        others_alive = all(p.poll() is None for p, _ in host.processes if p is not accumulator)
    finally:
        host.stop()
    assert others_alive, host.output()
    decided = [t for t, _ in recorded(tmp_path / 'run', '/classification')]
    before = sum(t < times['kill'] for t in decided)
    gone = sum(times['kill'] + 1e9 <= t < times['restart'] for t in decided)
    after = sum(times['ready'] <= t < times['end'] for t in decided)
    assert before > 0 and gone == 0 and after > 0, (before, gone, after)
    ann = [{kv.key: kv.value for kv in status.values}
           for _, m in recorded(tmp_path / 'run', '/diagnostics')
           for status in m.status if status.name.startswith('ann_node')]
    # the stage after the restarted one counted the gap: at least the 3 s it was gone
    assert int(ann[-1]['input_gaps']) >= 1 and float(ann[-1]['longest_input_gap_s']) >= 3.0
    print(f'decisions: {before} before the kill, {gone} while gone, {after} in the 5 s after '
          f'the new accumulator connected, {(times["ready"] - times["restart"]) / 1e9:.1f} s '
          f'after its start; ann_node: {ann[-1]["input_gaps"]} gap(s), longest '
          f'{ann[-1]["longest_input_gap_s"]} s')
