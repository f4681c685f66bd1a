#!/usr/bin/env bash
# Set up auditor on a fresh Debian machine (idempotent): Debian tools, a Docker engine,
# the project's hash-locked Python dependencies in .venv, and the pinned build image.
#   bash scripts/setup.sh
set -euo pipefail
cd "$(dirname "$0")/.."
log() { printf '[setup] %s\n' "$*" >&2; }

# 1. Debian packages: the container engine, debootstrap for the image, and the tools diffoscope
#    uses on wheels and ELF files, git (--source-repo), and a C compiler with Python headers (the tests build a C-extension
#    fixture on the host, as its publisher would; the benchmark builds by hand with pip).
DEBS="docker.io podman debootstrap unzip binutils file libmagic1 libarchive13 python3-venv python3-dev gcc chromium git"
missing=""
for p in $DEBS; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"; done
if [ -n "$missing" ]; then
  log "apt-get install$missing"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
fi

# npm fetches (by package name, verified against a pinned sha512) the npm package that ships the official
# SARIF 2.1.0 schema, which the tests validate results.sarif against. Machines of this kind have it.
if ! command -v npm >/dev/null 2>&1; then
  log "apt-get install npm"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq npm >/dev/null
fi

# 2. A Docker engine: start dockerd when none answers (no iptables or bridge: builds run --network=none).
if ! docker info >/dev/null 2>&1; then
  log "starting dockerd"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO sh -c 'nohup dockerd --iptables=false --bridge=none --storage-driver=overlay2 >/var/log/auditor-dockerd.log 2>&1 &'
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
  docker info >/dev/null 2>&1 || { log "dockerd did not start: see /var/log/auditor-dockerd.log"; exit 1; }
fi

# 3. Python dependencies, pinned and hash-checked (requirements.lock is generated from pyproject.toml).
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check --require-hashes -r requirements.lock
.venv/bin/python -m pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e .

# 4. The build image, made from Debian's archive (no registry); prints its digest.
.venv/bin/auditor image build
