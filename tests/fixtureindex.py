"""A local package index on 127.0.0.1 for integration tests, and builders for fixture packages.

FixtureIndex serves PEP 691 JSON (with upload-time) or PEP 503 HTML, from files the test adds.
Faults can be injected per path (status codes, hangs, dropped connections) to test the client.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import tarfile
import textwrap
import threading
import time
import zipfile
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from packaging.utils import canonicalize_name, parse_wheel_filename


class FixtureIndex:
    def __init__(self, root: Path, json_api: bool = True):
        self.root = root
        self.json_api = json_api
        self.files: dict[str, list[dict]] = {}  # project -> file records
        self.faults: dict[str, list] = {}  # path -> list of actions consumed one per request
        (root / "files").mkdir(parents=True, exist_ok=True)
        self.requests: list[str] = []
        handler = self._handler()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"{self.base}/simple/"

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def add(self, project: str, path: Path, upload_time: datetime | None = None, yanked: str | bool = False,
            provenance: dict | None = None) -> str:
        """Publish a file; returns its sha256."""
        dest = self.root / "files" / path.name
        if dest.resolve() != path.resolve():
            shutil.copyfile(path, dest)
        digest = hashlib.sha256(dest.read_bytes()).hexdigest()
        recs = self.files.setdefault(canonicalize_name(project), [])
        recs[:] = [r for r in recs if r["filename"] != path.name]
        recs.append({
            "filename": path.name, "url": f"/files/{path.name}", "hashes": {"sha256": digest},
            "upload-time": (upload_time or datetime(2024, 1, 1, tzinfo=timezone.utc)).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "yanked": yanked, "size": dest.stat().st_size,
        })
        if provenance is not None:
            (self.root / "files" / f"{path.name}.provenance").write_text(json.dumps(provenance))
            recs[-1]["provenance"] = f"/files/{path.name}.provenance"
        return digest

    def _page(self, project: str, want_json: bool) -> tuple[bytes, str]:
        recs = self.files.get(project)
        if recs is None:
            return b"", ""
        if want_json and self.json_api:
            body = {"meta": {"api-version": "1.1"}, "name": project, "files": recs, "versions": []}
            return json.dumps(body).encode(), "application/vnd.pypi.simple.v1+json"
        links = "".join(
            f'<a href="{r["url"]}#sha256={r["hashes"]["sha256"]}"'
            + (' data-yanked=""' if r["yanked"] else "") + f'>{r["filename"]}</a><br>\n'
            for r in recs
        )
        return f"<!DOCTYPE html><html><body>{links}</body></html>".encode(), "text/html"

    def _handler(self):
        index = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_GET(self):
                index.requests.append(self.path)
                actions = index.faults.get(self.path)
                if actions:
                    action = actions.pop(0)
                    if isinstance(action, int):
                        self.send_response(action)
                        self.send_header("Retry-After", "0")
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return
                    if action == "hang":
                        time.sleep(30)
                        return
                    if action == "drop":
                        data = (index.root / "files" / self.path.rsplit("/", 1)[-1]).read_bytes()
                        self.send_response(200)
                        self.send_header("Content-Length", str(len(data)))
                        self.end_headers()
                        self.wfile.write(data[: len(data) // 2])
                        self.wfile.flush()
                        self.connection.shutdown(socket.SHUT_RDWR)
                        return
                if self.path.startswith("/simple/"):
                    project = self.path[len("/simple/"):].strip("/")
                    body, ctype = index._page(project, "json" in self.headers.get("Accept", ""))
                    if not ctype:
                        self.send_error(404)
                        return
                elif self.path.startswith("/files/"):
                    p = index.root / "files" / self.path[len("/files/"):]
                    if not p.is_file():
                        self.send_error(404)
                        return
                    body, ctype = p.read_bytes(), "application/octet-stream"
                else:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        return Handler


# ---------------------------------------------------------------- fixture packages (flit_core)

def pyproject(name: str, version: str, backend_requirement: str, backend: str, extra: str = "") -> str:
    return (f'[build-system]\nrequires = ["{backend_requirement}"]\nbuild-backend = "{backend}"\n\n'
            f'[project]\nname = "{name}"\nversion = "{version}"\ndescription = "fixture"\n'
            f'requires-python = ">=3.8"\n{extra}')


def make_project(root: Path, name: str, version: str, extra_files: dict[str, str] | None = None,
                 setup_py: str | None = None) -> Path:
    """A small flit_core project (or a setuptools one when setup_py is given)."""
    mod = name.replace("-", "_")
    proj = root / f"{name}-{version}-src"
    (proj / mod).mkdir(parents=True)
    (proj / mod / "__init__.py").write_text(f'"""Fixture package {name}."""\n\n__version__ = "{version}"\n\n\ndef hello():\n    return "hello"\n')
    (proj / mod / "util.py").write_text("def add(a, b):\n    return a + b\n")
    if setup_py is None:
        import flit_core

        (proj / "pyproject.toml").write_text(pyproject(name, version, f"flit_core=={flit_core.__version__}",
                                                       "flit_core.buildapi", "dependencies = []\n"))
    else:
        (proj / "setup.py").write_text(setup_py)
    for rel, text in (extra_files or {}).items():
        (proj / rel).parent.mkdir(parents=True, exist_ok=True)
        (proj / rel).write_text(text)
    return proj


def build_project(proj: Path, out: Path, sde: int | None = 1700000000, tz: str | None = None) -> tuple[Path, Path]:
    """Build (sdist, wheel) with the installed flit_core, as a publisher would (sde=None: unset;
    tz: the publisher's local time zone)."""
    out.mkdir(parents=True, exist_ok=True)
    code = (
        "import sys, flit_core.buildapi as b; sys.stdout.write("
        "b.build_sdist(sys.argv[1]) + '\\n' + b.build_wheel(sys.argv[1]))"
    )
    env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    if sde is not None:
        env["SOURCE_DATE_EPOCH"] = str(sde)
    if tz is not None:
        env["TZ"] = tz
    p = subprocess.run([sys.executable, "-c", code, str(out)], cwd=proj, env=env, capture_output=True, text=True, check=True)
    sdist, wheel = p.stdout.split()
    return out / sdist, out / wheel


def _record_line(name: str, data: bytes) -> list[str]:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return [name, f"sha256={digest}", str(len(data))]


def rewrite_wheel(src: Path, dest: Path, edit) -> Path:
    """Copy a wheel, letting edit(members: dict[name, bytes]) change it; RECORD is rewritten to match,
    so the result is internally consistent (pip would install it). Zip metadata is kept."""
    with zipfile.ZipFile(src) as zf:
        infos = {i.filename: i for i in zf.infolist()}
        members = {n: zf.read(n) for n in infos}
    record_name = next(n for n in members if n.endswith(".dist-info/RECORD"))
    edit(members)
    rows = [_record_line(n, d) for n, d in members.items() if n != record_name]
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows + [[record_name, "", ""]])
    members[record_name] = buf.getvalue().encode()
    template = next(iter(infos.values()))
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as out:
        for name in [n for n in members if n != record_name] + [record_name]:
            info = zipfile.ZipInfo(name, date_time=(infos.get(name) or template).date_time)
            info.external_attr = (infos.get(name) or template).external_attr
            info.compress_type = zipfile.ZIP_DEFLATED
            out.writestr(info, members[name])
    return dest


def make_sdist_tar(path: Path, top: str, members: list[tuple[tarfile.TarInfo, bytes | None]]) -> Path:
    """A hand-made (possibly hostile) sdist."""
    with tarfile.open(path, "w:gz") as tf:
        for info, data in members:
            if data is not None:
                info.size = len(data)
                tf.addfile(info, io.BytesIO(data))
            else:
                tf.addfile(info)
    return path


def lock_line(name: str, version: str, *hashes: str) -> str:
    return f"{name}=={version} \\\n" + " \\\n".join(f"    --hash=sha256:{h}" for h in hashes) + "\n"


# ---------------------------------------------------------------- a C-extension fixture (setuptools)

C_SOURCE = """#define PY_SSIZE_T_CLEAN
#include <Python.h>
static PyObject *twice(PyObject *self, PyObject *arg) { return PyNumber_Add(arg, arg); }
static PyMethodDef methods[] = {{"twice", twice, METH_O, "twice"}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef mod = {PyModuleDef_HEAD_INIT, "_speed", NULL, -1, methods};
PyMODINIT_FUNC PyInit__speed(void) { return PyModule_Create(&mod); }
"""


def make_c_project(root: Path, name: str, version: str) -> Path:
    """A setuptools project with one C extension module, `<name>/_speed`."""
    import setuptools

    proj = make_project(root, name, version, setup_py=textwrap.dedent(f"""\
        from setuptools import Extension, setup
        setup(ext_modules=[Extension("{name}._speed", ["{name}/_speed.c"])])
        """), extra_files={f"{name}/_speed.c": C_SOURCE})
    (proj / "pyproject.toml").write_text(pyproject(name, version, f"setuptools=={setuptools.__version__}",
                                                   "setuptools.build_meta",
                                                   f'\n[tool.setuptools]\npackages = ["{name}"]\n'))
    return proj


def build_c_project(proj: Path, out: Path, sde: int = 1700000000) -> tuple[Path, Path]:
    """Build (sdist, wheel) on this host with the installed setuptools and the host's compiler."""
    out.mkdir(parents=True, exist_ok=True)
    # LDSHARED without the host interpreter's own -rpath (a pyenv build links its lib/ in): a published
    # module carries no RPATH into the builder's machine (auditwheel repair would refuse or replace one)
    env = dict(os.environ, SOURCE_DATE_EPOCH=str(sde), LDSHARED="gcc -shared")

    def hook(name: str, cwd: Path) -> str:  # setuptools prints to stdout: the file name goes to a file
        names = out / ".name"
        code = ("import sys, pathlib, setuptools.build_meta as b; "
                f"pathlib.Path(sys.argv[2]).write_text(b.{name}(sys.argv[1]))")
        p = subprocess.run([sys.executable, "-c", code, str(out), str(names)], cwd=cwd, env=env,
                           capture_output=True, text=True)
        if p.returncode != 0:
            raise RuntimeError(f"fixture {name} failed: {p.stderr[-2000:]}")
        return names.read_text()

    sdist = hook("build_sdist", proj)
    unpacked = out / ".unpacked"
    with tarfile.open(out / sdist) as tf:
        tf.extractall(unpacked, filter="data")
    wheel = hook("build_wheel", next(unpacked.iterdir()))  # from the sdist, as `python -m build` does
    return out / sdist, out / wheel


def retag_wheel(src: Path, dest_dir: Path, platform: str, edit=None) -> Path:
    """Copy a platform wheel under another platform tag (WHEEL Tag lines and file name rewritten, as
    auditwheel repair does), optionally editing members; RECORD is rewritten to stay consistent."""
    name, version, _, tags = parse_wheel_filename(src.name)
    old = next(iter(tags))
    new_tag = f"{old.interpreter}-{old.abi}-{platform}"
    dist = src.name.split("-")[0]
    dest = dest_dir / f"{dist}-{version}-{new_tag}.whl"

    def retag(members):
        wheel_file = next(n for n in members if n.endswith(".dist-info/WHEEL"))
        lines = [ln for ln in members[wheel_file].decode().splitlines() if not ln.startswith("Tag:")]
        lines += [f"Tag: {old.interpreter}-{old.abi}-{p}" for p in platform.split(".")]
        members[wheel_file] = ("\n".join(lines) + "\n").encode()
        if edit:
            edit(members)

    dest_dir.mkdir(parents=True, exist_ok=True)
    return rewrite_wheel(src, dest, retag)


# ---------------------------------------------------------------- a publisher of another era (setup.py)

def make_legacy_project(root: Path, name: str, version: str, requires: list[str], universal: bool) -> Path:
    """A project of the setup.py era: no pyproject.toml, a setup.py with install_requires, a LICENSE and a
    README as long description; `universal` adds setup.cfg's `[bdist_wheel] universal = 1` (py2.py3)."""
    proj = root / f"{name}-{version}-src"
    (proj / name).mkdir(parents=True)
    (proj / name / "__init__.py").write_text(f'"""Fixture package {name}."""\n\n__version__ = "{version}"\n')
    (proj / name / "util.py").write_text("def add(a, b):\n    return a + b\n")
    (proj / "LICENSE").write_text("MIT License\n\nCopyright (c) the fixture's authors\n")
    (proj / "README.rst").write_text(f"{name}\n{'=' * len(name)}\n\nA fixture of the setup.py era.\n")
    (proj / "setup.py").write_text(textwrap.dedent(f"""\
        from setuptools import setup

        setup(
            name={name!r},
            version={version!r},
            description="A fixture of the setup.py era",
            long_description=open("README.rst").read(),
            author="Fixture Authors",
            author_email="fixture@example.org",
            url="https://example.org/{name}",
            license="MIT",
            packages=[{name!r}],
            install_requires={requires!r},
            classifiers=["Programming Language :: Python :: 2", "Programming Language :: Python :: 3"],
        )
        """))
    (proj / "setup.cfg").write_text("[bdist_wheel]\nuniversal = 1\n" if universal else "[metadata]\nlicense_file = LICENSE\n")
    return proj


def build_in_era(proj: Path, out: Path, image: str, python: str, tools: list[str], engine: str = "docker") -> tuple[Path, Path]:
    """Build (sdist, wheel) as a publisher of that era did, `setup.py sdist bdist_wheel` with the given
    setuptools and wheel (`tools`, e.g. ["setuptools==39.2.0", "wheel==0.31.1"], taken from PyPI) on CPython
    `python`, in `image` (a container, since those setuptools do not run on this host's Python), no network,
    and no SOURCE_DATE_EPOCH (the era did not set it)."""
    wheels = out / ".tools"
    wheels.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:", "-d", str(wheels),
                    "--index-url", "https://pypi.org/simple/", *tools], check=True, capture_output=True)
    dist = out / "dist"
    dist.mkdir(exist_ok=True)
    script = (f"python{python} -m venv /tmp/v && /tmp/v/bin/pip install -q --no-index /tools/*.whl && cp -r /src /tmp/src "
              "&& cd /tmp/src && /tmp/v/bin/python setup.py -q sdist bdist_wheel && cp dist/* /dist/")
    p = subprocess.run([engine, "run", "--rm", "--network=none", "--user", f"{os.getuid()}:{os.getgid()}",
                        "-e", "HOME=/tmp", "-v", f"{wheels}:/tools:ro", "-v", f"{proj}:/src:ro", "-v", f"{dist}:/dist",
                        image, "sh", "-c", script], capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(f"fixture build failed: {p.stderr[-2000:]}")
    sdist = next(dist.glob("*.tar.gz"))
    wheel = next(dist.glob("*.whl"))
    return sdist, wheel
