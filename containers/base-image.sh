#!/usr/bin/env bash
# The base image, built from Debian's packages with debootstrap (no registry is reachable):
# localhost/debian-python:bookworm. Skipped when it exists; takes about 2 minutes.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
image=localhost/debian-python:bookworm
if "$here/podman.sh" image exists "$image"; then
    echo "base image $image exists"
    exit 0
fi
command -v debootstrap >/dev/null || { echo "debootstrap is missing: apt-get install debootstrap" >&2; exit 1; }
rootfs="$(mktemp -d)"
trap 'rm -rf "$rootfs"' EXIT
debootstrap --variant=minbase --include=python3,python3-venv,python3-pip bookworm "$rootfs" >/dev/null
tar -C "$rootfs" -c . | "$here/podman.sh" import - "$image"
