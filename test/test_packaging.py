"""The package installs both ways robots and users install it, with its executables where
each tool looks for them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXECUTABLES = ('dvs_driver', 'hybrid-perception')


def tracked_copy(dest: Path) -> Path:
    """The package as a clean clone has it (no build/ or egg-info of the working tree)."""
    files = subprocess.run(['git', 'ls-files', '--cached', '--others', '--exclude-standard'],
                           cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    for name in files:
        if (ROOT / name).is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, dest / name)
    return dest


def test_pip_install_puts_executables_on_the_venv_path(tmp_path):
    venv = tmp_path / 'venv'
    subprocess.run([sys.executable, '-m', 'venv', '--without-pip', str(venv)], check=True)
    # Borrow this environment's dependencies instead of downloading them again.
    site = next((venv / 'lib').glob('python3.*/site-packages'))
    (site / 'deps.pth').write_text(sysconfig.get_paths()['purelib'] + '\n')
    source = tracked_copy(tmp_path / 'src')
    subprocess.run([sys.executable, '-m', 'pip', '--python', str(venv / 'bin' / 'python'),
                    'install', '-qq', '--no-deps', '--no-build-isolation', str(source)],
                   check=True)
    for name in EXECUTABLES:
        assert (venv / 'bin' / name).is_file(), f'{name} not installed into the venv'
    result = subprocess.run([str(venv / 'bin' / 'hybrid-perception'), '--help'],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and 'replay' in result.stdout, result.stderr
    share = venv / 'share' / 'hybrid_perception'
    assert (share / 'package.xml').is_file()
    package = site / 'hybrid_perception'
    for data in ('networks/specs/motion.yaml', 'hybrid/gesture/specs/gesture.yaml',
                 'hybrid/pose/specs/pose.yaml', 'networks/energy/coefficients.yaml',
                 'models/gesture/hybrid/snn.net', 'models/gesture/hybrid/ann.onnx'):
        assert (package / data).is_file(), f'{data} not installed'


@pytest.mark.skipif(shutil.which('colcon') is None, reason='colcon is not installed')
def test_colcon_build_installs_ros2_run_executables(tmp_path):
    workspace = tmp_path / 'ws'
    tracked_copy(workspace / 'src' / 'hybrid_perception')
    env = {**os.environ, 'PYTHONDONTWRITEBYTECODE': '1'}
    result = subprocess.run(['colcon', 'build', '--event-handlers', 'console_direct-'],
                            cwd=workspace, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    install = workspace / 'install' / 'hybrid_perception'
    for name in EXECUTABLES:  # where `ros2 run hybrid_perception <name>` looks
        assert os.access(install / 'lib' / 'hybrid_perception' / name, os.X_OK), name
    share = install / 'share' / 'hybrid_perception'
    assert (share / 'package.xml').is_file()
    marker = install / 'share' / 'ament_index' / 'resource_index' / 'packages'
    assert (marker / 'hybrid_perception').is_file()


@pytest.mark.skipif(shutil.which('colcon') is None, reason='colcon is not installed')
def test_colcon_finds_both_packages_with_the_readmes_base_paths(tmp_path):
    """colcon does not look inside a package for more, so the message package is named by
    its path (README "On a robot"); third_party/ stays out of a robot's workspace."""
    tracked_copy(tmp_path / 'src' / 'hybrid_perception')
    listed = subprocess.run(
        ['colcon', 'list', '--names-only', '--base-paths', 'src/hybrid_perception',
         'src/hybrid_perception/hybrid_perception_msgs', 'src/hybrid_perception/third_party'],
        cwd=tmp_path, capture_output=True, text=True, timeout=60, check=True).stdout.split()
    assert sorted(listed) == ['hybrid_perception', 'hybrid_perception_msgs']
