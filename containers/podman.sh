#!/usr/bin/env bash
# podman as it runs on these machines (docs/containers.md): runc, cgroupfs, no ulimits.
set -euo pipefail
conf="$(dirname "$0")/containers.conf"
export CONTAINERS_CONF="$(cd "$(dirname "$conf")" && pwd)/containers.conf"
exec podman --runtime runc --cgroup-manager=cgroupfs "$@"
