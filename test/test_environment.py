"""The set-up script: a clear error, and nothing built, when Python 3.10 is missing."""

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_missing_python_310_is_a_clear_error(tmp_path):
    """The interpreter named is the only one tried, so this holds on a host with a system
    Python 3.10 too (Ubuntu 22.04, the usual ROS 2 host)."""
    env = {'PATH': '/usr/bin:/bin', 'HOME': str(tmp_path),  # no pyenv on this PATH
           'HYBRID_PERCEPTION_PYTHON': '/no/such/python3.10',
           'HYBRID_PERCEPTION_CACHE': str(tmp_path / 'cache')}
    result = subprocess.run(['/bin/bash', str(ROOT / 'scripts' / 'with-venv.sh'), 'true'],
                            env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 3, result.stderr
    assert 'Python 3.10 not found at HYBRID_PERCEPTION_PYTHON=/no/such/python3.10' in result.stderr
    assert not (tmp_path / 'cache').exists()
