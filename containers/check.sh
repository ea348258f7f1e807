#!/usr/bin/env bash
# `make containers`: build the image and run the demo plant as one container per computer,
# end to end (tests/containers). Where podman is missing it says so and skips.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="$1"
if ! command -v podman >/dev/null; then
    echo "containers: skipped, podman is not installed (apt-get install podman runc debootstrap)"
    exit 0
fi
"$bin/python" -m pip install --quiet podman-compose
"$here/base-image.sh"
rm -rf "$here/wheels"
"$bin/python" -m pip wheel --quiet --wheel-dir "$here/wheels" "$here/.."
"$here/podman.sh" build --quiet -t localhost/plant-scada-emulator:latest \
    -f "$here/Containerfile" "$here/.."
SCADA_EMU_CONTAINERS=1 PATH="$bin:$PATH" "$bin/python" -m pytest -p no:cacheprovider \
    "$here/../tests/containers"
