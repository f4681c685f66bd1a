"""The `local` backend: the driver runs as a host subprocess. No isolation: the sdist's build code
can read the host and reach the network. Used only when no container engine answers, loudly."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from auditor.errors import SandboxError
from auditor.proc import run_logged
from auditor.records import BuildOutcome
from auditor.sandbox import DRIVER, LIBRARY_DIRS, LIBRARY_NAME, MAX_LIBRARY, BuildJob

EXIT_REASONS = {3: "missing-build-dependencies", 4: "environment-setup-failed"}


def outcome(code: int | None, log: str, seconds: float, out_dir, timeout: float) -> BuildOutcome:
    if code is None:
        return BuildOutcome(None, log + f"\n[auditor] killed after {timeout:.0f}s", "timeout", seconds)
    if code != 0:
        missing: list[str] = []
        if code == 3:
            try:
                missing = [str(m) for m in json.loads((out_dir / "missing.json").read_text())][:50]
            except (OSError, ValueError, TypeError):
                pass
        return BuildOutcome(None, log, EXIT_REASONS.get(code, "build-failed"), seconds, missing)
    wheels = sorted(p for p in out_dir.iterdir() if p.suffix == ".whl")
    if len(wheels) != 1:
        return BuildOutcome(None, log, "build-failed", seconds)
    try:  # written by the driver; only informative, so a missing or odd file is no error
        info = json.loads((out_dir / "driver-result.json").read_text())
        installer = info.get("installer") if isinstance(info.get("installer"), str) else None
        phases = {str(k): float(v) for k, v in (info.get("phases") or {}).items()}
    except (OSError, ValueError, TypeError, AttributeError):
        installer, phases = None, {}
    return BuildOutcome(str(wheels[0]), log, None, seconds, installer=installer, phases=phases)


class LocalSandbox:
    name = "local"
    isolation = "none"

    def __init__(self, python: str | None = None):
        self.interpreter = sys.executable
        if python:
            found = shutil.which(f"python{python}")
            if found is None:
                raise SandboxError(f"no python{python} on PATH for the local backend")
            self.interpreter = found
        p = subprocess.run([self.interpreter, "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"],
                           capture_output=True, text=True)
        if p.returncode != 0:
            raise SandboxError(f"{self.interpreter} does not run: {p.stderr[-300:]}")
        self._python = p.stdout.strip()

    def python_version(self) -> str:
        return ".".join(self._python.split(".")[:2])

    def pythons(self) -> list[str]:
        return [self.python_version()]

    def describe(self) -> dict:
        return {"backend": "local", "isolation": "none", "python": self._python, "image": None,
                "interpreter": self.interpreter}

    def environment_for(self, python: str | None, packages: tuple[str, ...] = ()) -> str | None:
        return None  # the host's compilers and libraries are not pinned: its builds are never reused

    def library(self, python: str | None, name: str) -> bytes | None:
        if not LIBRARY_NAME.fullmatch(name):
            return None
        for d in LIBRARY_DIRS:
            p = Path(d) / name
            if p.is_file() and p.stat().st_size <= MAX_LIBRARY:
                return p.read_bytes()
        return None

    def build(self, job: BuildJob) -> BuildOutcome:
        build_root = job.out_dir.parent / "build"
        build_root.mkdir(parents=True, exist_ok=True)
        env = dict(job.env, HOME=str(build_root / "home"), TMPDIR=str(build_root))
        cmd = [
            self.interpreter, str(DRIVER), "--src", str(job.source_dir), "--wheelhouse", str(job.wheelhouse),
            "--requirements", str(job.requirements), "--frontend", str(job.frontend),
            "--build-root", str(build_root), "--out", str(job.out_dir),
            *(["--inputs", str(job.inputs_dir)] if job.inputs_dir else []),
        ]
        job.out_dir.mkdir(parents=True, exist_ok=True)
        code, log, secs = run_logged(["/bin/sh", "-c", 'umask 022; exec "$@"', "sh", *cmd], env, job.timeout)
        return outcome(code, log, secs, job.out_dir, job.timeout)
