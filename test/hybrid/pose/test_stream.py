"""H2's stream pieces without ROS: history per boundary, the stepper's waiting, the packing."""

import numpy as np
import pytest
import torch

from hybrid_perception.events.array import make_events
from hybrid_perception.hybrid.common import Window
from hybrid_perception.hybrid.pose.model import PoseSnn
from hybrid_perception.hybrid.pose.spec import load_pose_spec
from hybrid_perception.hybrid.pose.stream import EventHistory, PoseStepper
from hybrid_perception.hybrid.pose.tracker import Initialization, PoseTracker
from hybrid_perception.networks.snn.runtime import NeuronState
from hybrid_perception.networks.snn.torch_runtime import TorchRuntime

SPEC = load_pose_spec('pose')


def _initialization(value: float) -> Initialization:
    return Initialization(np.full((SPEC.joints, 2), value),
                          [NeuronState(np.zeros(s), np.zeros(s)) for s in SPEC.snn.layer_shapes()])


def test_history_gives_each_boundary_the_window_before_it():
    history = EventHistory(period_us=100_000, keep_us=100_000)
    t = np.arange(0, 450_000, 1_000)
    events = make_events(t, t % 64, t % 32, t % 2)
    out = history.push(events[:250], 0) + history.push(events[250:], 250_000)
    assert [b for b, _ in out] == [100_000, 200_000, 300_000, 400_000]
    for boundary, before in out:
        np.testing.assert_array_equal(before['timestamp'], np.arange(boundary - 100_000,
                                                                     boundary, 1_000))
    # a long silence starts over: the next boundary needs a whole history again
    assert history.push(make_events([3_000_000], [0], [0], [1]), 3_000_000) == []
    assert history.restarts == 1


def test_initializations_pack_and_refuse_the_wrong_size():
    shapes = SPEC.snn.layer_shapes()
    rng = np.random.default_rng(0)
    original = Initialization(rng.random((SPEC.joints, 2)),
                              [NeuronState(rng.random(s), rng.random(s)) for s in shapes])
    back = Initialization.unpack(original.pack(), SPEC.joints, shapes)
    np.testing.assert_allclose(back.pose, original.pose, rtol=1e-6)
    for a, b in zip(back.states, original.states, strict=True):
        np.testing.assert_allclose(a.voltage, b.voltage, rtol=1e-6)
    with pytest.raises(ValueError, match='holds'):
        Initialization.unpack(original.pack()[:-1], SPEC.joints, shapes)


def test_the_stepper_waits_for_a_boundarys_initialization_then_runs_on_without_it():
    torch.manual_seed(0)
    snn = PoseSnn(SPEC)
    stepper = PoseStepper(PoseTracker.of(snn, TorchRuntime(snn.network, 1)), 100_000, wait_steps=2)
    step = SPEC.windows.step_us
    silent = np.zeros((1, *SPEC.snn.input_shape), np.float32)

    def window(start):
        return Window(start, start + step, silent)

    ran = [end for start in range(0, 100_000, step) for end, *_ in stepper.push(window(start))]
    assert ran == list(range(step, 100_001, step))   # 0 waited two steps, then all ran on
    assert stepper.missed == 0                         # nothing was due before the first
    assert stepper.push(window(100_000)) == []         # waits for its initialization
    out = stepper.initialize(100_000, _initialization(5.0))
    assert [end for end, *_ in out] == [100_000 + step] and stepper.initialized == 1
    # the next boundary's initialization never comes: two steps wait, the third releases them
    for start in range(110_000, 200_000, step):
        stepper.push(window(start))
    assert stepper.push(window(200_000)) == [] and stepper.push(window(210_000)) == []
    assert len(stepper.push(window(220_000))) == 3 and stepper.missed == 1
    stepper.initialize(200_000, _initialization(1.0))            # too late now
    assert stepper.push(window(230_000)) and stepper.stale == 1


def test_an_anchored_stepper_gives_no_pose_before_the_anns_first():
    """The hybrid's readout integrates from the ANN's pose: before the first initialization,
    and after a reset, its steps run (the SNN and the evidence see them) but give no pose,
    which would otherwise be the sensor's corner."""
    torch.manual_seed(0)
    snn = PoseSnn(SPEC)
    stepper = PoseStepper(PoseTracker.of(snn, TorchRuntime(snn.network, 1)), 100_000,
                          wait_steps=0, anchored=True)
    step = SPEC.windows.step_us
    silent = np.zeros((1, *SPEC.snn.input_shape), np.float32)
    early = [p for start in range(0, 100_000, step)
             for p in stepper.push(Window(start, start + step, silent))]
    assert early == [] and stepper.tracker.counter.steps == 100_000 // step
    out = stepper.initialize(100_000, _initialization(5.0)) \
        + stepper.push(Window(100_000, 100_000 + step, silent))
    assert [end for end, *_ in out] == [100_000 + step]
    np.testing.assert_allclose(out[0][1], 5.0)    # the ANN's pose (silent: no drive)
    stepper.reset()
    assert stepper.push(Window(300_000, 300_000 + step, silent)) == []
