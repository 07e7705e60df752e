"""Calibration files as ROS's camera_calibration writes them (camera_calibration_parsers'
YAML layout), read for camera_info; every malformed one is one clear error."""

from __future__ import annotations

import pytest
from support import OST_YAML

from hybrid_perception.errors import HybridPerceptionError
from hybrid_perception.geometry.calibration import read_calibration


def write(tmp_path, text, name='ost.yaml'):
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize('url', ['{path}', 'file://{path}'])
def test_a_camera_calibration_file_gives_camera_info_fields(tmp_path, url):
    path = write(tmp_path, OST_YAML)
    calibration = read_calibration(url.format(path=path))
    assert (calibration.width, calibration.height) == (346, 260)
    assert calibration.k == (256.1, 0, 172.4, 0, 255.8, 131.0, 0, 0, 1)
    assert calibration.d == (-0.35, 0.12, 0.001, -0.0005, 0)
    assert calibration.p[:3] == (201.3, 0, 171.9) and len(calibration.p) == 12
    assert calibration.distortion_model == 'plumb_bob'
    assert calibration.source == str(path)


def test_rational_polynomial_distortion_keeps_its_eight_coefficients(tmp_path):
    text = OST_YAML.replace('plumb_bob', 'rational_polynomial').replace(
        'cols: 5\n  data: [-0.35, 0.12, 0.001, -0.0005, 0]',
        'cols: 8\n  data: [-0.35, 0.12, 0.001, -0.0005, 0, 0.1, 0.2, 0.3]')
    calibration = read_calibration(str(write(tmp_path, text)))
    assert calibration.distortion_model == 'rational_polynomial' and len(calibration.d) == 8


@pytest.mark.parametrize('text,message', [
    (OST_YAML.replace('image_width: 346\n', ''), "KeyError 'image_width'"),
    (OST_YAML.replace('[256.1, 0, 172.4, 0, 255.8, 131.0, 0, 0, 1]', '[256.1, 0, 172.4]'),
     'camera_matrix is 3x3 with 3 values'),
    (OST_YAML.replace('rows: 3\n  cols: 4', 'rows: 4\n  cols: 3'), 'projection_matrix is 4x3'),
    ('image_width: [', 'not a readable calibration file'),
    ('- just\n- a list\n', 'no mapping'),
    (OST_YAML.replace('data: [256.1, 0, 172.4, 0, 255.8, 131.0, 0, 0, 1]',
                      'data: [0, 0, 0, 0, 0, 0, 0, 0, 0]'), 'camera_matrix must be set'),
])
def test_malformed_calibration_files_are_one_clear_error(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(HybridPerceptionError, match=message) as error:
        read_calibration(str(path))
    assert str(path) in str(error.value)


def test_urls_other_than_files_and_missing_files_are_refused_by_name(tmp_path):
    with pytest.raises(HybridPerceptionError, match='only file:// URLs'):
        read_calibration('package://my_robot/calibration/dvs.yaml')
    with pytest.raises(HybridPerceptionError, match='not a readable calibration file'):
        read_calibration(str(tmp_path / 'missing.yaml'))
