"""Camera geometry: projection conventions, and triangulation inverting projection."""

import numpy as np
import pytest

from hybrid_perception.datasets.people import default_cameras
from hybrid_perception.events.array import SensorSize
from hybrid_perception.geometry.cameras import look_at, triangulate
from hybrid_perception.geometry.joints import mpjpe

SENSOR = SensorSize(128, 96)


def test_the_target_projects_to_the_principal_point_and_up_is_up():
    camera = look_at('c', SENSOR, 100.0, [0.0, -3.0, 1.0], [0.0, 0.0, 1.0])
    np.testing.assert_allclose(camera.project([0.0, 0.0, 1.0]), [64.0, 48.0], atol=1e-9)
    above, right = camera.project([[0.0, 0.0, 1.5], [0.5, 0.0, 1.0]])
    assert above[1] < 48.0 and abs(above[0] - 64.0) < 1e-9  # world up is image up
    assert right[0] > 64.0                                   # world +x is image right
    np.testing.assert_allclose(camera.centre, [0.0, -3.0, 1.0], atol=1e-12)
    # 0.5 m at 3 m depth with f = 100 px: 16.7 px
    assert right[0] - 64.0 == pytest.approx(100 * 0.5 / 3.0)


def test_points_behind_a_camera_do_not_project():
    camera = look_at('c', SENSOR, 100.0, [0.0, -3.0, 1.0], [0.0, 0.0, 1.0])
    assert np.isnan(camera.project([0.0, -4.0, 1.0])).all()
    assert not camera.in_view(np.array([[-0.5, 10.0], [10.0, 96.0]])).any()


def test_triangulation_inverts_projection_in_two_views():
    cameras = default_cameras()
    points = np.random.default_rng(0).uniform([-0.8, -0.5, 0.0], [0.8, 0.5, 2.0], (5, 13, 3))
    pixels = [camera.project(points) for camera in cameras]
    np.testing.assert_allclose(triangulate(list(cameras), pixels), points, atol=1e-9)
    # a pixel of noise in each view costs millimetres, not metres
    noisy = [p + np.random.default_rng(i).normal(0, 1.0, p.shape) for i, p in enumerate(pixels)]
    assert mpjpe(triangulate(list(cameras), noisy), points) < 0.05


def test_a_point_missing_from_one_of_two_views_is_not_triangulated():
    cameras = list(default_cameras())
    points = np.array([[0.0, 0.0, 1.0], [0.2, 0.1, 1.5]])
    pixels = [camera.project(points) for camera in cameras]
    pixels[1][0] = np.nan
    out = triangulate(cameras, pixels)
    assert np.isnan(out[0]).all()
    np.testing.assert_allclose(out[1], points[1], atol=1e-9)
    with pytest.raises(ValueError, match='two cameras'):
        triangulate(cameras[:1], pixels[:1])


def test_mpjpe_ignores_unknown_joints_and_checks_shapes():
    truth = np.array([[0.0, 0.0], [np.nan, np.nan], [3.0, 4.0]])
    assert mpjpe(np.zeros((3, 2)), truth) == pytest.approx(2.5)
    with pytest.raises(ValueError, match='shape'):
        mpjpe(np.zeros((2, 2)), truth)
    with pytest.raises(ValueError, match='no joint'):
        mpjpe(np.zeros((1, 2)), np.full((1, 2), np.nan))
