"""The container backend: one class that drives docker or podman through their CLIs.

Every rebuild runs in a fresh container from an image pinned by its ID (sha256 digest):
--network=none, read-only root, tmpfs scratch at the fixed build path, pids/memory limits,
no capabilities, an unprivileged user, and a wall-clock timeout after which the container is
killed. Only the inputs (read-only) and one output directory are mounted. The container is
removed on every path out, including Ctrl-C.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import uuid
from pathlib import Path
from typing import Any

from auditor.errors import SandboxError
from auditor.records import BuildOutcome
from auditor.fsutil import write_json_atomic
from auditor.sandbox import BUILD_ROOT, DRIVER, LIBRARY_DIRS, LIBRARY_NAME, MAX_LIBRARY, BuildJob
from auditor.proc import run_logged
from auditor.sandbox.local import outcome

RECIPE = Path(__file__).resolve().parents[2] / "containers" / "debian" / "build-rootfs.sh"
RECIPE_LABEL = "org.auditor.recipe"  # sha256 of the recipe (and suite) the image was made from: a change rebuilds it
# One image per interpreter family, each from the Debian suite that ships it (debootstrap, no registry).
SUITES = {"3.9": "bullseye", "3.11": "bookworm", "3.13": "trixie", "3.14": "forky"}
# the rustc (X.Y) each suite's Debian package has, for picking the image of a Rust build that needs a newer one;
# each build also logs the rustc it really ran (sandbox/driver.py), which its record names
RUSTC = {"bullseye": (1, 48), "bookworm": (1, 63), "trixie": (1, 85), "forky": (1, 97)}
DEFAULT_PYTHON = "3.11"
DEFAULT_IMAGE = "auditor-build:bookworm"


def suite_tag(suite: str) -> str:
    return f"auditor-build:{suite}"


def recipe_digest(suite: str) -> str:
    return hashlib.sha256(RECIPE.read_bytes() + b"\0" + suite.encode()).hexdigest()


def image_id(engine: str, ref: str) -> str | None:
    """The image's ID (sha256 digest of its config), or None when the engine has no such image."""
    try:
        p = subprocess.run([engine, "image", "inspect", "--format", "{{.Id}}", ref], capture_output=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SandboxError(f"{engine} image inspect: {exc}") from None
    return p.stdout.decode().strip() if p.returncode == 0 else None


def ulimit_args(engine: str) -> list[str]:
    """podman sets its own default rlimits, which an unprivileged or nested host may refuse to raise
    ("error setting rlimit"); lowering is always allowed, so podman gets limits no higher than ours."""
    if engine != "podman":
        return []
    import resource

    out = []
    for name, res, cap in (("nofile", resource.RLIMIT_NOFILE, 65536), ("nproc", resource.RLIMIT_NPROC, 16384)):
        soft = resource.getrlimit(res)[0]
        value = cap if soft == resource.RLIM_INFINITY else min(soft, cap)
        out.append(f"--ulimit={name}={value}:{value}")
    return out


def engine_answers(engine: str) -> bool:
    if not shutil.which(engine):
        return False
    try:
        return subprocess.run([engine, "info"], capture_output=True, timeout=20).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


class OCISandbox:
    """Builds in containers. The default image has the default interpreter (--python, or 3.11); a wheel
    for another CPython that a Debian suite ships (SUITES) is rebuilt in that suite's image, made from
    Debian's archive the first time a run needs it (said on stderr) and pinned by its ID from then on."""

    isolation = "container"

    def __init__(self, engine: str, image: str = DEFAULT_IMAGE, memory: str = "4g", pids: int = 1024,
                 python: str | None = None, facts_dir: Path | None = None,
                 interpreter_images: dict[str, str] | None = None):
        self.name = engine
        # every container of this run carries org.auditor.run=<id>, so that a run's containers can be told
        # from another run's on the same machine (AUDITOR_RUN_ID names it; else one id per process)
        self.run_id = os.environ.get("AUDITOR_RUN_ID") or uuid.uuid4().hex[:12]
        self.interpreter = f"python{python}" if python else "python3"  # --python X.Y picks pythonX.Y
        self.engine = engine
        self.image_ref = image
        self.memory = memory
        self.pids = pids
        self.image_id = self._image_id(image)
        self._python: str | None = None
        self._others: dict[str, str] = {}  # X.Y -> image ID of another suite's image
        self._derived: dict[tuple, str] = {}  # (X.Y, packages) -> image ID of a derived image
        self._images_lock = threading.Lock()
        self._libraries: dict[tuple[str, str], bytes | None] = {}  # (image, library name) -> bytes
        self.facts_dir = facts_dir
        # What a probe container found out about this image (its interpreter's version), kept by image
        # ID: an image ID is the digest of its content, so the answer cannot go stale.
        self._facts = (facts_dir / f"{self.image_id.replace(':', '-')}-{self.interpreter}.json") if facts_dir else None
        # --interpreter-image X.Y=REF: an image the user names for an interpreter no Debian suite here has
        self._user: dict[str, tuple[str, str, str]] = {}  # X.Y -> (ref, image ID, interpreter)
        for py, ref in (interpreter_images or {}).items():
            self._user[py] = (ref, *self._user_image(py, ref))

    def _user_image(self, py: str, ref: str) -> tuple[str, str]:
        """(image ID, interpreter) of an image named for Python `py`, whose interpreter must be that Python."""
        ident = self._image_id(ref)
        for interpreter in (f"python{py}", "python3"):
            p = self._cli("run", "--rm", "--network=none", *self._ulimits(), ident, interpreter, "-c",
                          "import sys; print('%d.%d' % sys.version_info[:2])")
            found = p.stdout.decode().strip() if p.returncode == 0 else None
            if found == py:
                return ident, interpreter
            if found:
                raise SandboxError(f"--interpreter-image {py}={ref}: its {interpreter} is Python {found}, not {py}")
        raise SandboxError(f"--interpreter-image {py}={ref}: the image has no python{py} or python3")

    def pythons(self) -> list[str]:
        """Every CPython X.Y a build can use: the default image's, and each suite image's."""
        return sorted({self.python_version(), *SUITES, *self._user}, key=lambda v: tuple(int(x) for x in v.split(".")))

    def image_for(self, python: str | None, packages: tuple[str, ...] = ()) -> tuple[str, str]:
        """(image ID, interpreter) for a build with CPython `python` (None: the default), with Debian `packages`
        added (a derived image) when any are named."""
        if packages:
            base_interpreter = self.image_for(python)[1]
            return self.derived_image(python, tuple(sorted(packages)))[1], base_interpreter
        if python in self._user:
            return self._user[python][1], self._user[python][2]
        if python is None or python == self.python_version():
            return self.image_id, self.interpreter
        if python not in SUITES:
            raise SandboxError(f"no image has Python {python} (images: {', '.join(self.pythons())})")
        with self._images_lock:
            if python not in self._others:
                suite = SUITES[python]
                tag = suite_tag(suite)
                if image_id(self.engine, tag) is None or _label(self.engine, tag, RECIPE_LABEL) != recipe_digest(suite):
                    print(f"auditor: making the {suite} image (Python {python}) from Debian's archive for its first "
                          "use (about two minutes)", file=sys.stderr, flush=True)
                    build_image(self.engine, tag, record_dir=self.facts_dir, suite=suite)
                found = image_id(self.engine, tag)
                if found is None:
                    raise SandboxError(f"image {tag} could not be made")
                self._others[python] = found
        return self._others[python], f"python{python}"

    def environment_for(self, python: str | None, packages: tuple[str, ...] = ()) -> str | None:
        # the memory limit decides whether a big compile is killed: part of every build-cache key when not the default
        return f"{self.engine} {self.image_for(python, packages)[0]}" + (f" memory={self.memory}" if self.memory != "4g" else "")

    def derived_image(self, python: str | None, packages: tuple[str, ...]) -> tuple[str, str]:
        """(tag, image ID) of the image for `python` with Debian `packages` added, made from Debian's archive by
        the same recipe on its first use (debootstrap verifies every package against the signed Release)."""
        suite = SUITES.get(python or self.python_version(), SUITES.get(self.python_version(), "bookworm"))
        digest = hashlib.sha256((recipe_digest(suite) + "\0" + ",".join(sorted(packages))).encode()).hexdigest()
        tag = f"{suite_tag(suite)}-plus-{digest[:12]}"
        with self._images_lock:
            if (python, packages) not in self._derived:
                if image_id(self.engine, tag) is None or _label(self.engine, tag, RECIPE_LABEL) != digest:
                    print(f"auditor: making a {suite} image with {', '.join(sorted(packages))} from Debian's archive "
                          "(about two minutes)", file=sys.stderr, flush=True)
                    build_image(self.engine, tag, record_dir=self.facts_dir, suite=suite, extra_packages=packages)
                found = image_id(self.engine, tag)
                if found is None:
                    raise SandboxError(f"image {tag} could not be made")
                self._derived[(python, packages)] = found
        return tag, self._derived[(python, packages)]

    def library(self, python: str | None, name: str) -> bytes | None:
        if not LIBRARY_NAME.fullmatch(name):
            return None
        image, _ = self.image_for(python)
        with self._images_lock:
            if (image, name) in self._libraries:
                return self._libraries[(image, name)]
        script = 'for d in "$@"; do if [ -f "$d/$0" ]; then exec head -c %d "$d/$0"; fi; done; exit 1' % MAX_LIBRARY
        p = self._cli("run", "--rm", "--network=none", *self._ulimits(), image, "sh", "-c", script, name,
                      *LIBRARY_DIRS, timeout=120)
        data = p.stdout if p.returncode == 0 and p.stdout else None
        with self._images_lock:
            self._libraries[(image, name)] = data
        return data

    def _ulimits(self) -> list[str]:
        return ulimit_args(self.engine)

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
            p = self._cli("run", "--rm", "--network=none", *self._ulimits(), self.image_id, self.interpreter, "-c",
                          "import sys; print('%d.%d.%d' % sys.version_info[:3])")
            if p.returncode != 0:
                have = self._cli("run", "--rm", "--network=none", *self._ulimits(), self.image_id, "sh", "-c",
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
        # other interpreters' images by the recipe they are made from (they may not exist yet)
        others = {py: f"{suite_tag(suite)} recipe {recipe_digest(suite)[:16]}" for py, suite in SUITES.items()
                  if py != self.python_version()}
        out: dict[str, Any] = {"backend": self.engine, "isolation": "container", "image": {"ref": self.image_ref, "id": self.image_id},
               "python": self._python, "interpreter": self.interpreter, "other_images": others}
        if self._user:
            out["interpreter_images"] = {py: {"ref": ref, "id": ident, "interpreter": interp}
                                         for py, (ref, ident, interp) in sorted(self._user.items())}
        return out

    def build(self, job: BuildJob) -> BuildOutcome:
        image, interpreter = self.image_for(job.python, job.system_packages)
        job.out_dir.mkdir(parents=True, exist_ok=True)
        os.chmod(job.out_dir, 0o777)  # written by the container's unprivileged user
        src_name = job.source_dir.name
        name = f"auditor-{uuid.uuid4().hex[:12]}"
        cmd = [
            self.engine, "run", "--rm", "--name", name, "--label", f"org.auditor.run={self.run_id}",
            "--network=none", "--read-only", "--cap-drop=ALL", "--security-opt=no-new-privileges",
            f"--pids-limit={self.pids}", f"--memory={self.memory}", "--user=65534:65534", *self._ulimits(),
            f"--tmpfs={BUILD_ROOT}:rw,exec,size=8g,mode=1777", "--tmpfs=/tmp:rw,exec,size=2g,mode=1777",
            "-v", f"{job.source_dir}:/in/src/{src_name}:ro",
            "-v", f"{job.wheelhouse}:/in/wheelhouse:ro",
            "-v", f"{job.requirements}:/in/requirements.txt:ro",
            "-v", f"{job.frontend}:/in/frontend:ro",
            "-v", f"{DRIVER}:/in/driver.py:ro",
            "-v", f"{job.out_dir}:/out:rw",
            *(["-v", f"{job.ccache_dir}:/ccache:rw"] if job.ccache_dir else []),
            *(["-v", f"{job.inputs_dir}:/in/inputs:ro"] if job.inputs_dir else []),
            *(["-v", f"{job.inputs_dir / 'vendor'}:{job.env['AUDITOR_CRATE_DIR']}:ro"]
              if job.inputs_dir and (job.inputs_dir / "vendor").is_dir() and job.env.get("AUDITOR_CRATE_DIR") else []),
            "-w", "/tmp",
        ]
        extra = {"CCACHE_DIR": "/ccache", "CC": "ccache gcc", "CXX": "ccache g++", "CCACHE_COMPILERCHECK": "content"} \
            if job.ccache_dir else {}
        for k, v in sorted(dict(job.env, HOME=f"{BUILD_ROOT}/home", TMPDIR="/tmp", **extra).items()):
            cmd += ["-e", f"{k}={v}"]
        cmd += [
            image, "/bin/sh", "-c", 'umask 022; exec "$@"', "sh",
            interpreter, "/in/driver.py", "--src", f"/in/src/{src_name}", "--wheelhouse", "/in/wheelhouse",
            "--requirements", "/in/requirements.txt", "--frontend", "/in/frontend",
            "--build-root", BUILD_ROOT, "--out", "/out", *(["--inputs", "/in/inputs"] if job.inputs_dir else []),
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


def build_image(engine: str, tag: str = DEFAULT_IMAGE, rebuild: bool = False, record_dir: Path | None = None,
                suite: str = "bookworm", extra_packages: tuple[str, ...] = ()) -> dict:
    """Make a build image from Debian's archive with debootstrap (no registry); idempotent while the
    recipe is unchanged (the image carries the recipe's and suite's sha256 as a label).

    Returns {"ref", "id", "python", "packages"} and writes it to record_dir/<id>.json."""
    if not engine_answers(engine):
        raise SandboxError(f"{engine} does not answer (is the daemon running?)")
    # one builder per image on this machine: runs that need it at once wait, then find it made
    lock_path = Path(tempfile.gettempdir()) / f"auditor-image-{re.sub(r'[^A-Za-z0-9_.-]', '_', engine + '-' + tag)}.lock"
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _build_image_locked(engine, tag, rebuild, record_dir, suite, extra_packages)


def _build_image_locked(engine: str, tag: str, rebuild: bool, record_dir: Path | None, suite: str,
                        extra_packages: tuple[str, ...] = ()) -> dict:
    recipe = recipe_digest(suite)
    if extra_packages:
        if not all(re.fullmatch(r"[a-z0-9][a-z0-9.+-]+", p) for p in extra_packages):
            raise SandboxError(f"not Debian package names: {', '.join(extra_packages)}")
        recipe = hashlib.sha256((recipe + "\0" + ",".join(sorted(extra_packages))).encode()).hexdigest()
    if rebuild or image_id(engine, tag) is None or _label(engine, tag, RECIPE_LABEL) != recipe:
        if not shutil.which("debootstrap"):
            raise SandboxError("debootstrap is not installed (apt-get install debootstrap)")
        with tempfile.TemporaryDirectory(prefix="auditor-rootfs-") as tmp:
            rootfs = Path(tmp) / "rootfs"
            script = RECIPE
            if extra_packages:  # the same recipe, its package list extended (the base recipe's bytes unchanged)
                script = Path(tmp) / "build-rootfs.sh"
                text = RECIPE.read_text()
                line = 'packages="$toolchain,$(IFS=,; echo "${libs[*]}")"'
                if line not in text:
                    raise SandboxError("the image recipe's package line moved: derived images cannot be made")
                script.write_text(text.replace(line, line + f'\npackages="$packages,{",".join(sorted(extra_packages))}"'))
            p = subprocess.run(["bash", str(script), str(rootfs), suite], capture_output=True, text=True)
            if p.returncode != 0:
                raise SandboxError(f"debootstrap {suite} failed: {p.stderr[-1500:]}")
            tar = subprocess.Popen(["tar", "--sort=name", "--numeric-owner", "-C", str(rootfs), "-c", "."],
                                   stdout=subprocess.PIPE)
            imp = subprocess.run([engine, "import", "--change", "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                                  "--change", f"LABEL {RECIPE_LABEL}={recipe}", "-", tag], stdin=tar.stdout, capture_output=True)
            tar.wait()
            if imp.returncode != 0 or tar.returncode != 0:
                raise SandboxError(f"{engine} import failed: {imp.stderr.decode()[-800:]}")
    found = image_id(engine, tag)
    if found is None:
        raise SandboxError(f"{engine} import left no image {tag}")
    py = subprocess.run([engine, "run", "--rm", "--network=none", *ulimit_args(engine), found, "python3", "-c",
                         "import sys; print('%d.%d.%d' % sys.version_info[:3])"], capture_output=True, text=True)
    pk = subprocess.run([engine, "run", "--rm", "--network=none", *ulimit_args(engine), found, "dpkg-query", "-W", "-f",
                         "${Package}=${Version}\\n"], capture_output=True, text=True)
    info = {
        "ref": tag,
        "id": found,
        "suite": suite,
        "python": py.stdout.strip(),
        "packages": sorted(pk.stdout.split()),
    }
    if record_dir is not None:
        record_dir.mkdir(parents=True, exist_ok=True)
        (record_dir / f"{found.replace(':', '-')}.json").write_text(json.dumps(info, indent=1) + "\n")
    return info
