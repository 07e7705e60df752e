"""A node's life in a running graph (#24), for every node of H1, H2 and H3, each in its own
process as ``ros2 launch`` runs them: SIGKILLed mid-stream and started again, it rejoins the
graph (its output stops while it is gone and resumes once the new process is ready, the
graph's output resumes, nothing else restarts, and the stage after it counts the gap in
/diagnostics; the new process starts from rest, whatever the stream's clock did meanwhile: a
restarted driver starts its stream over). Then, still busy, each exits with status 0 soon
after SIGINT or SIGTERM, as launch stops them. One graph start serves both: starting the
graphs is most of these tests' time."""

from __future__ import annotations

import signal
import time
from collections import defaultdict

import pytest
from support import GRAPHS, LIMIT_S, Host, spin_until, stop

#: per graph, each node's own output (the topic that stops when it dies), the graph's output,
#: and the node after it that counts the gap (None: the graph's last stage)
WITNESSES = {
    'gesture': {'dvs_driver': ('/event_frame', 'snn_node'),
                'snn_node': ('/snn/spikes', 'accumulator_node'),
                'accumulator_node': ('/features', 'ann_node'),
                'ann_node': ('/classification', None)},
    'pose': {'dvs_driver': ('/cam0/event_frame', 'state_initializer_node'),
             'state_initializer_node': ('/cam0/snn/state_init', 'pose_snn_node'),
             'pose_snn_node': ('/cam0/pose', 'skeleton_node'),
             'skeleton_node': ('/cam0/skeleton_frame', None)},
    'conversion': {'image_player': ('/image', 'image_classifier_node'),
                   'image_classifier_node': ('/classification', None)},
}
OUTPUT = {'gesture': '/classification', 'pose': '/cam0/skeleton_frame',
          'conversion': '/classification'}
GONE_S = 1.5       # how long a killed node stays dead (input gaps count from 1 s)
#: what a node logs once it is up: an input connected, or its source open
READY = {'dvs_driver': 'open: sensor', 'image_player': ' Hz on '}


class Watch:
    """Arrival times (ns) of the witness topics, and each node's last input_gaps, heard by a
    probe node in this process over DDS."""

    def __init__(self, context, executor, topics: set[str]) -> None:
        import rclpy
        from diagnostic_msgs.msg import DiagnosticArray
        from geometry_msgs.msg import PoseArray
        from sensor_msgs.msg import Image

        from hybrid_perception.ros.qos import RESULTS_QOS
        self.executor = executor
        self.arrivals: dict[str, list[int]] = defaultdict(list)
        self.gaps: dict[str, int] = {}
        probe = rclpy.create_node('restart_probe', context=context)
        executor.add_node(probe)
        for topic in topics:
            kind = PoseArray if topic.endswith('/pose') else Image
            probe.create_subscription(kind, topic, lambda _, t=topic: self.arrivals[t].append(
                time.time_ns()), RESULTS_QOS)
        probe.create_subscription(DiagnosticArray, '/diagnostics', self._diagnostics,
                                  RESULTS_QOS)

    def _diagnostics(self, msg) -> None:
        for status in msg.status:
            for kv in status.values:
                if kv.key == 'input_gaps':
                    self.gaps[status.name.split(':')[0]] = int(kv.value)

    def count(self, topic: str, since_ns: int, until_ns: int | None = None) -> int:
        return sum(since_ns <= t and (until_ns is None or t < until_ns)
                   for t in self.arrivals[topic])

    def rejoined(self, own: str, output: str, since_ns: int, after: str | None,
                 gaps_before: int) -> bool:
        """The restarted node's output and the graph's have resumed, and the stage after it
        has counted the gap."""
        return not self.missing(own, output, since_ns, after, gaps_before)

    def missing(self, own: str, output: str, since_ns: int, after: str | None,
                gaps_before: int) -> list[str]:
        """What :meth:`rejoined` still waits for, said so a failure names it."""
        out = [f'no {topic} since the restart' for topic in dict.fromkeys((own, output))
               if self.count(topic, since_ns) == 0]
        if after is not None and self.gaps.get(after, 0) <= gaps_before:
            out.append(f'{after} input_gaps still {self.gaps.get(after)} (was {gaps_before} '
                       'before the kill)')
        return out

    def sleep(self, seconds: float) -> None:
        spin_until(self.executor, lambda: False, seconds)

    def wait_for(self, done, *args) -> bool:
        """``done(*args)`` within a minute."""
        return spin_until(self.executor, lambda: done(*args), 60.0)


@pytest.mark.parametrize('graph', sorted(GRAPHS))
def test_every_node_killed_and_restarted_rejoins_the_graph(graph, ros, tmp_path):
    nodes = GRAPHS[graph]
    witnesses = WITNESSES[graph]
    output = OUTPUT[graph]
    watch = Watch(*ros, {*[topic for topic, _ in witnesses.values()], output})
    host = Host(None, tmp_path)
    seen, exits = {}, {}
    try:
        processes = {}
        for name, program, args in nodes:
            processes[name] = host.start(name, '--ros-args', *args, program=program)
        for name, program, _ in nodes:
            assert host.wait_for(name, READY.get(program, 'connected')), host.output()
        assert watch.wait_for(watch.count, output, 0), host.output()
        for round_, (name, program, args) in enumerate(nodes, 1):
            own, after = witnesses[name]
            gaps_before = watch.gaps.get(after, 0)
            kill = time.time_ns()
            processes[name].kill()
            processes[name].wait()
            watch.sleep(GONE_S)
            restart = time.time_ns()
            again = f'{name}-{round_}'
            processes[name] = host.start(again, '--ros-args', *args, program=program)
            assert host.wait_for(again, READY.get(program, 'connected')), host.output()
            assert watch.wait_for(watch.rejoined, own, output, restart, after, gaps_before), \
                (name, watch.missing(own, output, restart, after, gaps_before), host.output())
            seen[name] = dict(gone=watch.count(own, kill + int(0.5e9), restart),
                              back_after_s=round((min(t for t in watch.arrivals[output]
                                                      if t >= restart) - restart) / 1e9, 1))
        alive = all(p.poll() is None for p in processes.values())
        # then, still busy, each exits at once: downstream first, so that each still has input
        for index, (name, _, _) in reversed(list(enumerate(nodes))):
            number = (signal.SIGINT, signal.SIGTERM)[index % 2]
            exits[name] = (number.name, *stop(processes[name], number))
    finally:
        host.stop()
    print(graph, seen, {name: f'{how} -> {status} in {s:.2f} s' for name, (how, status, s)
                        in exits.items()})
    assert alive, host.output()
    assert all(figures['gone'] == 0 for figures in seen.values()), seen
    assert all(status == 0 for _, status, _ in exits.values()), (exits, host.output())
    assert all(s < LIMIT_S for _, _, s in exits.values()), exits
