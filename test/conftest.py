"""Shared fixtures: a private DDS domain on loopback, an rclpy context per test; one take of a
test subject's gesture and the probabilities the trained model gives it offline (what the live
graph and ``predict`` must give)."""

from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import settings

# Per-example deadlines measure the machine (and the first call's JIT compile), not the code.
settings.register_profile('default', deadline=None)
settings.load_profile('default')

# One DDS domain per test process, discovery on this host only: parallel runs on one machine
# never hear each other, and nothing leaves loopback. Always set, never inherited: pytest-xdist's
# workers inherit the controller's environment, and would all share its domain. The workers
# (gw0, gw1, ...) differ by their index, runs by their pid. Set before rclpy is imported.
_WORKER = int(os.environ.get('PYTEST_XDIST_WORKER', 'gw0')[2:] or 0)
os.environ['ROS_DOMAIN_ID'] = str(1 + (os.getpid() % 45) * 5 + _WORKER % 5)
os.environ.setdefault('ROS_AUTOMATIC_DISCOVERY_RANGE', 'LOCALHOST')
# Under pytest-xdist two workers share the machine's cores: a torch (OpenMP) process per core,
# inherited by the subprocesses the tests start, not two threads each on the same two cores,
# which spin against each other (measured: two training tests at once took 5x as long).
if 'PYTEST_XDIST_WORKER' in os.environ:
    os.environ.setdefault('OMP_NUM_THREADS', '1')


@pytest.fixture
def ros():
    """An initialized rclpy context and an executor on it; shut down after the test."""
    import rclpy

    from hybrid_perception.ros.entry import make_executor

    context = rclpy.Context()
    rclpy.init(context=context)
    executor = make_executor(context)
    yield context, executor
    # Destroy what the test made before the context goes: a node left to the garbage
    # collector keeps its DDS readers matched (and reliable writers waiting on them) into
    # the tests that follow in this process.
    from hybrid_perception.ros.entry import stop_node
    for node in executor.get_nodes():
        executor.remove_node(node)
        stop_node(node)
    executor.shutdown()
    context.try_shutdown()


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)


@pytest.fixture(scope='session')
def gesture_clips():
    from hybrid_perception.datasets.gestures import GestureClips
    return GestureClips()


@pytest.fixture(scope='session')
def gesture_events(gesture_clips) -> np.ndarray:
    from hybrid_perception.datasets.gestures import subjects
    subject = subjects('test', seed=2)[1]
    return gesture_clips.renderer.events(5, subject, gesture_clips.total_bins *
                                         gesture_clips.bin_us, np.random.default_rng(2))


@pytest.fixture(scope='session')
def offline_probabilities(gesture_clips):
    """``offline_probabilities(events, model)``: the model's (calibrated) softmax on the
    take's clip."""
    def probabilities(events: np.ndarray, model: str = 'gesture/hybrid') -> np.ndarray:
        import torch

        from hybrid_perception.hybrid.gesture.bundle import load_bundle
        with torch.no_grad():
            clip = torch.from_numpy(gesture_clips.to_clip(events) > 0).float()[None]
            bundle = load_bundle(model)
            return bundle.probabilities(bundle.model()(clip)[0].numpy())
    return probabilities
