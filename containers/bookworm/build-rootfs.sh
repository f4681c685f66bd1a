#!/usr/bin/env bash
# Build the auditor's build image from Debian's package archive, with no container registry.
#   containers/bookworm/build-rootfs.sh ROOTFS_DIR
# The package set is fixed here; the exact versions installed are recorded by `auditor image build`
# (dpkg-query inside the image) beside the image digest.
set -euo pipefail
rootfs=${1:?usage: build-rootfs.sh ROOTFS_DIR}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
# C headers that common extensions expect (as manylinux images carry zlib and libffi): libyaml, libffi, zlib.
packages=python3,python3-venv,python3-dev,gcc,g++,libc6-dev,make,patchelf,libyaml-dev,libffi-dev,zlib1g-dev
# SOURCE_DATE_EPOCH keeps debootstrap's own generated files stable where it honours it.
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1700000000}
debootstrap --variant=minbase --include="$packages" bookworm "$rootfs" "$mirror" >&2
# Drop what changes from one bootstrap to the next and is not needed to build.
rm -rf "$rootfs"/var/cache/apt/* "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/log/* "$rootfs"/tmp/*
