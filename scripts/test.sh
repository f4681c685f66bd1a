#!/usr/bin/env bash
# The project's test command (README; CI runs it through .ci/run): lint with a complexity limit, type-check, check
# the stage order of the imports,
# then every test. The fast loop while working: .venv/bin/python -m pytest -m unit (no docker, no network).
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/ruff check auditor tests benchmarks scripts
.venv/bin/mypy
.venv/bin/lint-imports --no-cache  # the stage contract (pyproject.toml [tool.importlinter])
.venv/bin/python -m pytest -ra "$@"
