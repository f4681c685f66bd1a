#!/usr/bin/env bash
# Build the auditor's build image from Debian's package archive, with no container registry.
#   containers/debian/build-rootfs.sh ROOTFS_DIR [SUITE]
# SUITE picks the interpreter: bullseye (Python 3.9), bookworm (3.11, the default), trixie (3.13),
# forky (3.14).
# The package set is fixed here; the exact versions installed are recorded by `auditor image build`
# (dpkg-query inside the image) beside the image digest.
set -euo pipefail
rootfs=${1:?usage: build-rootfs.sh ROOTFS_DIR [SUITE]}
suite=${2:-bookworm}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
# The toolchain: Python with its headers and venv, C/C++ compilers, make, patchelf (as auditwheel uses).
toolchain=python3,python3-venv,python3-dev,gcc,g++,libc6-dev,make,patchelf,pkg-config,ccache
# ccache: build configurations of one release that differ only in pure-Python tooling (timestamps, the
# setuptools of a toolchain search) compile the same sources at the same path: compiled once per release.
# System libraries common C extensions build against, one line each with why (their -dev package):
libs=(
  libyaml-dev     # pyyaml's _yaml extension
  libffi-dev      # cffi, and every cffi-based binding (argon2-cffi-bindings, pynacl, bcrypt's older releases)
  zlib1g-dev      # zlib users (lxml, pillow-like codecs); manylinux images carry it too
  libxml2-dev     # lxml (etree)
  libxslt1-dev    # lxml (XSLT)
  libssl-dev      # OpenSSL bindings (psycopg, cryptography's older C releases, grpcio's fallback)
  libpq-dev       # psycopg2 / psycopg's C implementation
  libjpeg-dev     # pillow (JPEG support is required when Pillow is built from source)
  libgeos-dev     # shapely (the GEOS geometry library; its setup.py finds it with geos-config)
  default-libmysqlclient-dev  # mysqlclient (MariaDB Connector/C, found with pkg-config)
  libxmlsec1-dev  # xmlsec (python-xmlsec binds libxmlsec1, found with pkg-config)
)
packages="$toolchain,$(IFS=,; echo "${libs[*]}")"
# SOURCE_DATE_EPOCH keeps debootstrap's own generated files stable where it honours it.
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1700000000}
# A suite newer than this machine's debootstrap (forky on a bookworm host) is made with sid's script.
script=()
[ -e "/usr/share/debootstrap/scripts/$suite" ] || script=(/usr/share/debootstrap/scripts/sid)
debootstrap --variant=minbase --include="$packages" "$suite" "$rootfs" "$mirror" "${script[@]}" >&2
# Drop what changes from one bootstrap to the next and is not needed to build.
rm -rf "$rootfs"/var/cache/apt/* "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/log/* "$rootfs"/tmp/*
