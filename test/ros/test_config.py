"""Config files and launch files agree with the nodes they configure."""

import ast
from pathlib import Path

import yaml

from hybrid_perception.ros import dvs_driver

ROOT = Path(__file__).resolve().parents[2]


def test_driver_yaml_sets_declared_parameters_with_their_types():
    params = yaml.safe_load((ROOT / 'config' / 'dvs_driver.yaml').read_text())
    values = params['dvs_driver']['ros__parameters']
    assert set(values) == set(dvs_driver.PARAMETERS)
    for name, value in values.items():
        default = dvs_driver.PARAMETERS[name][0]
        assert type(value) is type(default), f'{name}: {value!r} vs default {default!r}'
        assert value == default, f'{name}: the YAML and the node disagree on the default'


def test_launch_files_are_valid_python_with_a_launch_description():
    for launch in (ROOT / 'launch').glob('*.launch.py'):
        tree = ast.parse(launch.read_text())
        names = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
        assert 'generate_launch_description' in names, launch.name
