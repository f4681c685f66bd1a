"""The container backend: one class that drives docker or podman through their CLIs.

Every rebuild runs in a fresh container from an image pinned by its ID (sha256 digest):
--network=none, read-only root, tmpfs scratch at the fixed build path, pids/memory limits,
no capabilities, an unprivileged user, and a wall-clock timeout after which the container is
killed. Only the inputs (read-only) and one output directory are mounted. The container is
removed on every path out, including Ctrl-C.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

from auditor.errors import SandboxError
from auditor.records import BuildOutcome
from auditor.fsutil import write_json_atomic
from auditor.sandbox import BUILD_ROOT, DRIVER, BuildJob
from auditor.proc import run_logged
from auditor.sandbox.local import outcome

DEFAULT_IMAGE = "auditor-build:bookworm"
RECIPE = Path(__file__).resolve().parents[2] / "containers" / "bookworm" / "build-rootfs.sh"
RECIPE_LABEL = "org.auditor.recipe"  # sha256 of the recipe the image was made from: a changed recipe rebuilds it


def image_id(engine: str, ref: str) -> str | None:
    """The image's ID (sha256 digest of its config), or None when the engine has no such image."""
    try:
        p = subprocess.run([engine, "image", "inspect", "--format", "{{.Id}}", ref], capture_output=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SandboxError(f"{engine} image inspect: {exc}") from None
    return p.stdout.decode().strip() if p.returncode == 0 else None


def engine_answers(engine: str) -> bool:
    if not shutil.which(engine):
        return False
    try:
        return subprocess.run([engine, "info"], capture_output=True, timeout=20).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


class OCISandbox:
    isolation = "container"

    def __init__(self, engine: str, image: str = DEFAULT_IMAGE, memory: str = "4g", pids: int = 1024,
                 python: str | None = None, facts_dir: Path | None = None):
        self.name = engine
        self.interpreter = f"python{python}" if python else "python3"  # --python X.Y picks pythonX.Y
        self.engine = engine
        self.image_ref = image
        self.memory = memory
        self.pids = pids
        self.image_id = self._image_id(image)
        self._python: str | None = None
        # What a probe container found out about this image (its interpreter's version), kept by image
        # ID: an image ID is the digest of its content, so the answer cannot go stale.
        self._facts = (facts_dir / f"{self.image_id.replace(':', '-')}-{self.interpreter}.json") if facts_dir else None

    def _cli(self, *args: str, timeout: float = 120, input: bytes | None = None) -> subprocess.CompletedProcess:
        try:
            return subprocess.run([self.engine, *args], capture_output=True, timeout=timeout, input=input)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise SandboxError(f"{self.engine} {args[0]}: {exc}") from None

    def _image_id(self, ref: str) -> str:
        found = image_id(self.engine, ref)
        if found is None:
            raise SandboxError(
                f"image {ref!r} not found in {self.engine}: run `auditor image build` (or pass --image)"
            )
        return found

    def python_version(self) -> str:
        if self._python is None and self._facts is not None:
            try:
                found = json.loads(self._facts.read_text()).get("python")
                self._python = found if isinstance(found, str) and re.fullmatch(r"3\.[0-9]+\.[0-9]+", found) else None
            except (OSError, ValueError, AttributeError):
                pass
        if self._python is None:
            p = self._cli("run", "--rm", "--network=none", self.image_id, self.interpreter, "-c",
                          "import sys; print('%d.%d.%d' % sys.version_info[:3])")
            if p.returncode != 0:
                have = self._cli("run", "--rm", "--network=none", self.image_id, "sh", "-c",
                                 "ls /usr/bin /usr/local/bin 2>/dev/null | grep -E '^python3\\.[0-9]+$' | sort -u")
                raise SandboxError(f"image {self.image_ref} has no usable {self.interpreter} "
                                   f"(it has: {' '.join(have.stdout.decode().split()) or 'none'})")
            self._python = p.stdout.decode().strip()
            if self._facts is not None:
                try:
                    write_json_atomic(self._facts, {"image": self.image_id, "interpreter": self.interpreter,
                                                    "python": self._python})
                except OSError:
                    pass  # only a shortcut for the next run
        return ".".join(self._python.split(".")[:2])

    def describe(self) -> dict:
        self.python_version()
        return {"backend": self.engine, "isolation": "container", "image": {"ref": self.image_ref, "id": self.image_id},
                "python": self._python, "interpreter": self.interpreter}

    def build(self, job: BuildJob) -> BuildOutcome:
        job.out_dir.mkdir(parents=True, exist_ok=True)
        os.chmod(job.out_dir, 0o777)  # written by the container's unprivileged user
        src_name = job.source_dir.name
        name = f"auditor-{uuid.uuid4().hex[:12]}"
        cmd = [
            self.engine, "run", "--rm", "--name", name,
            "--network=none", "--read-only", "--cap-drop=ALL", "--security-opt=no-new-privileges",
            f"--pids-limit={self.pids}", f"--memory={self.memory}", "--user=65534:65534",
            f"--tmpfs={BUILD_ROOT}:rw,exec,size=8g,mode=1777", "--tmpfs=/tmp:rw,exec,size=2g,mode=1777",
            "-v", f"{job.source_dir}:/in/src/{src_name}:ro",
            "-v", f"{job.wheelhouse}:/in/wheelhouse:ro",
            "-v", f"{job.requirements}:/in/requirements.txt:ro",
            "-v", f"{job.frontend}:/in/frontend:ro",
            "-v", f"{DRIVER}:/in/driver.py:ro",
            "-v", f"{job.out_dir}:/out:rw",
            "-w", "/tmp",
        ]
        for k, v in sorted(dict(job.env, HOME=f"{BUILD_ROOT}/home", TMPDIR="/tmp").items()):
            cmd += ["-e", f"{k}={v}"]
        cmd += [
            self.image_id, "/bin/sh", "-c", 'umask 022; exec "$@"', "sh",
            self.interpreter, "/in/driver.py", "--src", f"/in/src/{src_name}", "--wheelhouse", "/in/wheelhouse",
            "--requirements", "/in/requirements.txt", "--frontend", "/in/frontend",
            "--build-root", BUILD_ROOT, "--out", "/out",
        ]
        try:
            code, log, secs = run_logged(cmd, None, job.timeout)
        finally:
            # --rm covers a normal exit; this covers timeouts, Ctrl-C and a killed CLI.
            subprocess.run([self.engine, "rm", "-f", name], capture_output=True, timeout=60)
        return outcome(code, log, secs, job.out_dir, job.timeout)


def _label(engine: str, ref: str, label: str) -> str | None:
    p = subprocess.run([engine, "image", "inspect", "-f", f'{{{{ index .Config.Labels "{label}" }}}}', ref],
                       capture_output=True, text=True)
    return p.stdout.strip() if p.returncode == 0 else None


def build_image(engine: str, tag: str = DEFAULT_IMAGE, rebuild: bool = False, record_dir: Path | None = None) -> dict:
    """Make the build image from Debian's archive with debootstrap (no registry); idempotent while the
    recipe is unchanged (the image carries the recipe's sha256 as a label).

    Returns {"ref", "id", "python", "packages"} and writes it to record_dir/<id>.json."""
    if not engine_answers(engine):
        raise SandboxError(f"{engine} does not answer (is the daemon running?)")
    recipe = hashlib.sha256(RECIPE.read_bytes()).hexdigest()
    if rebuild or image_id(engine, tag) is None or _label(engine, tag, RECIPE_LABEL) != recipe:
        if not shutil.which("debootstrap"):
            raise SandboxError("debootstrap is not installed (apt-get install debootstrap)")
        with tempfile.TemporaryDirectory(prefix="auditor-rootfs-") as tmp:
            rootfs = Path(tmp) / "rootfs"
            p = subprocess.run(["bash", str(RECIPE), str(rootfs)], capture_output=True, text=True)
            if p.returncode != 0:
                raise SandboxError(f"debootstrap failed: {p.stderr[-1500:]}")
            tar = subprocess.Popen(["tar", "--sort=name", "--numeric-owner", "-C", str(rootfs), "-c", "."],
                                   stdout=subprocess.PIPE)
            imp = subprocess.run([engine, "import", "--change", "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                                  "--change", f"LABEL {RECIPE_LABEL}={recipe}", "-", tag], stdin=tar.stdout, capture_output=True)
            tar.wait()
            if imp.returncode != 0 or tar.returncode != 0:
                raise SandboxError(f"{engine} import failed: {imp.stderr.decode()[-800:]}")
    sb = OCISandbox(engine, tag)
    pk = subprocess.run([engine, "run", "--rm", "--network=none", sb.image_id, "dpkg-query", "-W", "-f",
                         "${Package}=${Version}\\n"], capture_output=True, text=True)
    info = {
        "ref": tag,
        "id": sb.image_id,
        "python": sb.describe()["python"],
        "packages": sorted(pk.stdout.split()),
    }
    if record_dir is not None:
        record_dir.mkdir(parents=True, exist_ok=True)
        (record_dir / f"{sb.image_id.replace(':', '-')}.json").write_text(json.dumps(info, indent=1) + "\n")
    return info
