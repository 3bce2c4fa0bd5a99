#!/usr/bin/env bash
# A stand-in for the python:3.11-slim base image, built from Debian's own packages, for machines
# that reach a Debian mirror but not Docker Hub (air-gapped registries, CI behind a proxy):
#
#   sudo docker/debian-base.sh [TAG]          # TAG defaults to aura-local/python:3.11-bookworm
#   docker build --build-arg PYTHON_IMAGE=aura-local/python:3.11-bookworm -t aura-api .
#
# The image is Debian bookworm (the release python:3.11-slim is built on) with Debian's Python
# 3.11 and its venv module; python3-distutils is named because debootstrap does not resolve the
# virtual package python3.11-distutils that python3.11-venv depends on. CA certificates this
# machine trusts beyond Debian's own (those in /usr/local/share/ca-certificates, e.g. a
# TLS-inspecting proxy's) are added, so that pip inside the build reaches PyPI the way the host
# does. Needs root, debootstrap and a Docker engine.
set -euo pipefail

tag="${1:-aura-local/python:3.11-bookworm}"
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
rootfs="$(mktemp -d)"
trap 'rm -rf "$rootfs"' EXIT

debootstrap --variant=minbase \
    --include=python3.11,python3.11-venv,python3-distutils,python-is-python3,ca-certificates \
    bookworm "$rootfs" "$mirror"
if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
    cp /usr/local/share/ca-certificates/*.crt "$rootfs/usr/local/share/ca-certificates/"
    chroot "$rootfs" update-ca-certificates
fi
chroot "$rootfs" apt-get clean
rm -rf "$rootfs"/var/lib/apt/lists/*

tar -C "$rootfs" -c . | docker import -c 'ENV LANG=C.UTF-8' -c 'CMD ["python3"]' - "$tag"
echo "built $tag"
