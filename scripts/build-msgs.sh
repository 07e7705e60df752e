#!/usr/bin/env bash
# Build the message packages with colcon into a cache (once per definition and environment),
# then print the environment lines that put them on the path.
#
#   hybrid_perception_msgs            our own types
#   third_party/event_camera_msgs     EventPacket, where ros-$ROS_DISTRO-event-camera-msgs
#                                     is not installed (always, with the pip ROS 2)
#
# With the pip ROS 2 the venv is the ament prefix ($VIRTUAL_ENV). Its msg wheels hard-code the
# wheel builder's Python and numpy include directories in their exported CMake files; those
# are pointed at this venv's own first (idempotent). ../shared/ROS_INTERFACES.md has the why.
#
# Usage (scripts/with-venv.sh does this): eval "$(scripts/build-msgs.sh)"
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
: "${VIRTUAL_ENV:?run inside the venv (scripts/with-venv.sh)}"
packages=("$root/hybrid_perception_msgs" "$root/third_party/event_camera_msgs")

key=$( { cat "$root/requirements.lock"; for p in "${packages[@]}"; do
          find "$p" -type f | sort | xargs cat; done; } | sha256sum | cut -c1-16)
cache=${HYBRID_PERCEPTION_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/hybrid_perception}
dest="$cache/msgs-$key"

if [ ! -f "$dest/.complete" ]; then
  echo ">> building the message packages with colcon into $dest (once, ~40 s)" >&2
  "$VIRTUAL_ENV/bin/python" - <<'PY' >&2
import pathlib, re, sys, sysconfig
import numpy
fixed = 0
for f in (pathlib.Path(sys.prefix) / 'share').glob('*/cmake/*__rosidl_generator_pyExport.cmake'):
    text = f.read_text()
    new = text.replace('/opt/python/cp310-cp310/include/python3.10', sysconfig.get_paths()['include'])
    new = re.sub(r'/[^;"]*/site-packages/numpy/(_core|core)/include', numpy.get_include(), new)
    if new != text:
        f.write_text(new)
        fixed += 1
print(f'>> {fixed} exported CMake files pointed at this venv\'s include directories')
PY
  rm -rf "$dest"
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  for p in "${packages[@]}"; do cp -r "$p" "$work/"; done
  ( cd "$work" &&
    AMENT_PREFIX_PATH="$VIRTUAL_ENV" CMAKE_PREFIX_PATH="$VIRTUAL_ENV" MAKEFLAGS=-j1 \
      "$VIRTUAL_ENV/bin/colcon" --log-base "$work/log" build --merge-install \
        --parallel-workers 1 --install-base "$dest/install" --build-base "$work/build" \
        --event-handlers console_direct- --cmake-args -DBUILD_TESTING=OFF \
        -DPython3_EXECUTABLE="$VIRTUAL_ENV/bin/python" >&2 ) || {
    echo "error: colcon could not build the message packages (log above)" >&2; exit 1; }
  touch "$dest/.complete"
fi

install="$dest/install"
site=$(cd "$install" && ls -d lib/python3*/site-packages 2>/dev/null | head -1)
echo "export AMENT_PREFIX_PATH=\"$install:$VIRTUAL_ENV\""
echo "export PYTHONPATH=\"$install/$site\${PYTHONPATH:+:\$PYTHONPATH}\""
echo "export LD_LIBRARY_PATH=\"$install/lib\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}\""
