#!/usr/bin/env bash
# Run a command inside the project's Python 3.10 virtual environment.
#
# The environment lives outside the clone, keyed by requirements.lock, so a second run (or a
# second clone) reuses it in seconds; it is marked complete only after the whole install
# succeeded, so an interrupted install is rebuilt rather than half-used.
# Our own package is reinstalled (no deps, a few seconds) on every call so the executables
# always match the working tree (one call at a time); the message packages are built with
# colcon once per definition (scripts/build-msgs.sh).
#
# Usage: scripts/with-venv.sh COMMAND [ARGS...]
# Env:   HYBRID_PERCEPTION_PYTHON  a Python 3.10 interpreter to build the venv from
#        HYBRID_PERCEPTION_CACHE   where venvs are cached (default ~/.cache/hybrid_perception)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

find_python310() {
  # An interpreter named in HYBRID_PERCEPTION_PYTHON is the only one tried: a wrong choice is
  # an error, not silently replaced by another Python.
  local candidates=("${HYBRID_PERCEPTION_PYTHON:-}")
  if [ -z "${HYBRID_PERCEPTION_PYTHON:-}" ]; then
    candidates=(python3.10)
    if command -v pyenv >/dev/null 2>&1; then
      candidates+=("$(pyenv root)"/versions/3.10.*/bin/python)
    fi
    candidates+=(/usr/bin/python3.10 /usr/local/bin/python3.10)
  fi
  local c
  for c in "${candidates[@]}"; do
    [ -n "$c" ] || continue
    if command -v "$c" >/dev/null 2>&1 &&
       [ "$("$c" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)" = "3.10" ]; then
      command -v "$c"; return 0
    fi
  done
  return 1
}

if ! py=$(find_python310); then
  echo "error: Python 3.10 not found${HYBRID_PERCEPTION_PYTHON:+ at HYBRID_PERCEPTION_PYTHON=$HYBRID_PERCEPTION_PYTHON} (lava-nc 0.10 fails to import on 3.11+)." >&2
  echo "       Install it (e.g. 'pyenv install 3.10.13' or 'apt install python3.10 python3.10-venv')" >&2
  echo "       or point HYBRID_PERCEPTION_PYTHON at a 3.10 interpreter." >&2
  exit 3
fi

key=$(cat "$root/requirements.lock" | sha256sum | cut -c1-16)
cache=${HYBRID_PERCEPTION_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/hybrid_perception}
venv="$cache/venv-py310-$key"

if [ ! -f "$venv/.complete" ]; then
  echo ">> building the Python 3.10 environment in $venv (once per requirements.lock; torch is ~2.7 GB)" >&2
  mkdir -p "$cache"
  rm -rf "$venv"
  "$py" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --upgrade pip >&2
  "$venv/bin/python" -m pip install --progress-bar off -r "$root/requirements.lock" >&2
  touch "$venv/.complete"
fi

# Two commands started together would otherwise build in the same ./build and break each other.
flock "$venv/.reinstall.lock" \
  "$venv/bin/python" -m pip install -qq --no-deps --no-build-isolation --force-reinstall "$root" >&2
export PATH="$venv/bin:$PATH"
export VIRTUAL_ENV="$venv"
# The message packages (ours and EventPacket), built once with colcon and put on the path.
eval "$(flock "$venv/.reinstall.lock" "$root/scripts/build-msgs.sh")"
exec "$@"
