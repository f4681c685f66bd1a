"""Runs inside the sandbox (container or local): build one wheel from an extracted sdist.

Standalone on purpose: it needs only the standard library and the pinned frontend handed in
(build, pyproject_hooks, packaging, virtualenv, pip, uv). No network is used or needed:
  1. copy the (read-only) source to the fixed build path, keeping mtimes;
  2. create an empty virtualenv (no seed packages) for the backend;
  3. install the pinned build requirements from the wheelhouse, hashes required, no index: with uv
     (the same wheels, ten times faster than pip), or pip when uv is absent or refuses;
  4. check the backend's dynamic requirements are met (build's check_dependencies);
  5. build the wheel with build.ProjectBuilder, the backend running in that virtualenv.
Pinned inputs (`--inputs`: crates vendored by the host, meson wrap downloads) are handed to cargo as its
`vendored-sources` replacement of crates.io and to meson as `subprojects/packagecache/`; cargo always runs
offline (CARGO_NET_OFFLINE).
Exit codes: 0 built; 3 missing dynamic build dependencies; 4 environment set-up failed; 1 build failed.
"""

import argparse
import glob
import json
import os
import shutil
import subprocess
import sys
import time


def log(msg):
    print(f"[auditor-driver] {msg}", flush=True)


CHECK = """
import importlib.metadata as m, json, sys
out = {}
for name in json.load(sys.stdin):
    try:
        out[name] = m.version(name)
    except m.PackageNotFoundError:
        out[name] = None
print(json.dumps(out))
"""


def unmet(py, wanted):
    """Requirements (PEP 508 strings) not satisfied by what is installed in the backend's venv."""
    from packaging.requirements import Requirement

    reqs = [Requirement(w) for w in sorted(wanted)]
    reqs = [r for r in reqs if r.marker is None or r.marker.evaluate({"extra": ""})]
    found = json.loads(subprocess.run([py, "-c", CHECK], input=json.dumps([r.name for r in reqs]),
                                      capture_output=True, text=True, check=True).stdout)
    return [str(r) for r in reqs if found[r.name] is None or not r.specifier.contains(found[r.name], prereleases=True)]


def install(py, pip, a):
    """Install the pinned build requirements into the backend's venv; returns the installer used, or None."""
    uv = sorted(glob.glob(os.path.join(a.frontend, "uv", "*.data", "scripts", "uv")))
    if uv:
        r = subprocess.run([uv[0], "pip", "install", "--python", py, "--offline", "--no-config", "--no-cache",
                            "--no-index", "--find-links", a.wheelhouse, "--require-hashes", "--no-deps", "--no-build",
                            "--link-mode", "copy", "-r", a.requirements],
                           env=dict(os.environ, UV_NO_PROGRESS="1"))
        if r.returncode == 0:
            return "uv"
        log("uv could not install the build requirements; trying pip")
    r = subprocess.run([py, pip, "install", "--no-index", "--find-links", a.wheelhouse, "--require-hashes", "--no-deps",
                        "--only-binary", ":all:", "--no-cache-dir", "--no-compile", "-r", a.requirements])
    return "pip" if r.returncode == 0 else None


def legacy_setup_py(project, py):
    """A setup.py project without [build-system] whose setuptools predates PEP 517's fallback backend
    (setuptools.build_meta:__legacy__, 40.8.0): built as its era did, with `setup.py bdist_wheel`."""
    if not os.path.isfile(os.path.join(project, "setup.py")):
        return False
    pyproject = os.path.join(project, "pyproject.toml")
    if os.path.isfile(pyproject):
        with open(pyproject, "rb") as f:
            if b"[build-system]" in f.read():
                return False
    # setuptools 36 to 40.7 have build_meta but not its __legacy__ fallback that PEP 517 frontends call
    r = subprocess.run([py, "-c", "import setuptools.build_meta as m; m.__legacy__"], capture_output=True)
    return r.returncode != 0


def config_settings(py, options):
    """PEP 517 config settings for the plan's driver options: `universal` (bdist_wheel --universal) and
    `py_limited_api` (--py-limited-api=cpXY), passed as --build-option by setuptools 64 and later,
    appended after the command by older ones."""
    flags = (["--universal"] if options.get("universal") else []) + \
        ([f"--py-limited-api={options['py_limited_api']}"] if options.get("py_limited_api") else [])
    if not flags:
        return None
    version = json.loads(subprocess.run([py, "-c", CHECK], input=json.dumps(["setuptools"]), capture_output=True,
                                        text=True).stdout or "{}").get("setuptools") or "0"
    major = int(version.split(".")[0]) if version.split(".")[0].isdigit() else 0
    return {"--build-option": flags} if major >= 64 else {"--global-option": flags}


SETUPTOOLS_SHIM = ("import setuptools, sys, tokenize; sys.argv[0] = 'setup.py'; __file__ = 'setup.py'; "
                   "f = tokenize.open(__file__); code = f.read(); f.close(); exec(compile(code, __file__, 'exec'))")


def build_legacy(project, py, a, phases, started, installer, t0, options):
    log("setuptools has no PEP 517 backend here: running `setup.py bdist_wheel`, as builds of its day did")
    os.makedirs(a.out, exist_ok=True)
    dist = os.path.join(a.build_root, ".auditor-dist")
    extra = (["--universal"] if options.get("universal") else []) + \
        ([f"--py-limited-api={options['py_limited_api']}"] if options.get("py_limited_api") else [])
    # through pip's setuptools shim, as `pip wheel` ran every setup.py of that era: setuptools is imported
    # first, so a distutils-only setup.py (cachy 0.3.0's, written by poetry 1.0.0a5) has bdist_wheel too
    r = subprocess.run([py, "-c", SETUPTOOLS_SHIM, "bdist_wheel", "--dist-dir", dist] + extra, cwd=project)
    wheels = sorted(glob.glob(os.path.join(dist, "*.whl")))
    if r.returncode != 0 or len(wheels) != 1:
        log(f"setup.py bdist_wheel failed (exit {r.returncode}, {len(wheels)} wheels)")
        return 1
    shutil.copy2(wheels[0], a.out)
    phase("build", t0, phases)
    return finish(a, os.path.join(a.out, os.path.basename(wheels[0])), project, phases, started, installer)


def phase(name, t0, phases):
    phases[name] = round(time.time() - t0, 3)


def finish(a, wheel, project, phases, started, installer):
    with open(os.path.join(a.out, "driver-result.json"), "w") as f:
        json.dump({"wheel": os.path.basename(wheel), "python": sys.version.split()[0],
                   "build_path": project, "seconds": round(time.time() - started, 3), "phases": phases,
                   "installer": installer}, f)
    log(f"built {os.path.basename(wheel)}; seconds per phase: {json.dumps(phases)}")
    return 0


CARGO_CONFIG = """[source.crates-io]
replace-with = "vendored-sources"

[source.vendored-sources]
directory = "{vendor}"

[net]
offline = true
"""


def pinned_inputs(inputs, project, build_root):
    """Point cargo at the vendored crates (its home in the build root: it writes there) and copy wrap
    downloads into the project's packagecache. Cargo is offline either way."""
    os.environ["CARGO_NET_OFFLINE"] = "true"
    home = os.path.join(build_root, ".cargo-home")
    os.makedirs(home, exist_ok=True)
    os.environ["CARGO_HOME"] = home
    if shutil.which("rustc"):
        r = subprocess.run(["rustc", "--version"], capture_output=True, text=True)
        log(f"{r.stdout.strip() or 'rustc --version failed'} (the image's)")
    vendor = os.path.join(inputs or "", "vendor")
    # the publisher's crate directory (plan/pins.py), where the container backend mounts the vendored crates
    crate_dir = os.environ.pop("AUDITOR_CRATE_DIR", "")
    if crate_dir and os.path.isdir(crate_dir):
        vendor = crate_dir
    if inputs and os.path.isdir(vendor):
        with open(os.path.join(home, "config.toml"), "w") as f:
            f.write(CARGO_CONFIG.format(vendor=vendor))
        log(f"cargo: crates.io replaced by the {len(os.listdir(vendor))} vendored crate(s) in {vendor}, offline")
    cache = os.path.join(inputs or "", "packagecache")
    if inputs and os.path.isdir(cache):
        dest = os.path.join(project, "subprojects", "packagecache")
        os.makedirs(dest, exist_ok=True)
        for name in sorted(os.listdir(cache)):
            shutil.copyfile(os.path.join(cache, name), os.path.join(dest, name))
        log(f"meson: {len(os.listdir(cache))} pinned wrap download(s) placed in {dest}")


def arguments():
    ap = argparse.ArgumentParser()
    ap.add_argument("--src", required=True)
    ap.add_argument("--wheelhouse", required=True)
    ap.add_argument("--requirements", required=True)
    ap.add_argument("--frontend", required=True)
    ap.add_argument("--build-root", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--inputs")
    return ap.parse_args()


def clean_environment():
    """The build's environment: no host Python paths, pip never reads a config or asks; returns it (os.environ
    is replaced by it)."""
    clean_env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "AUDITOR_DRIVER_OPTIONS")}
    clean_env.update({"PIP_CONFIG_FILE": os.devnull, "PIP_NO_INPUT": "1", "PYTHONNOUSERSITE": "1",
                      "PIP_DISABLE_PIP_VERSION_CHECK": "1"})
    os.environ.clear()
    os.environ.update(clean_env)
    return clean_env


def prepare(a, clean_env, site, pip, phases):
    """The source copied into the build root with its pinned inputs, a fresh virtualenv with the pinned build
    requirements installed: (project, its python, the installer used), or an exit code."""
    project = os.path.join(a.build_root, os.path.basename(os.path.normpath(a.src)))
    venv = os.path.join(a.build_root, ".auditor-env")
    if os.path.exists(project):
        shutil.rmtree(project)
    t0 = time.time()
    shutil.copytree(a.src, project, symlinks=True)
    log(f"source at {project}; python {sys.version.split()[0]}; SOURCE_DATE_EPOCH={os.environ.get('SOURCE_DATE_EPOCH', '(unset)')}")

    pinned_inputs(a.inputs, project, a.build_root)
    phase("copy", t0, phases)
    t0 = time.time()
    env = dict(clean_env, PYTHONPATH=site, VIRTUALENV_OVERRIDE_APP_DATA=os.path.join(a.build_root, ".appdata"))
    r = subprocess.run([sys.executable, "-m", "virtualenv", "--no-seed", "--no-download", "--no-periodic-update",
                        "--activators", "", venv], env=env)
    if r.returncode:
        log("virtualenv failed")
        return 4
    phase("venv", t0, phases)
    py = os.path.join(venv, "bin", "python")
    # As in `python -m build`'s environments: the backend finds the scripts its requirements install
    # (uv_build looks up its `uv-build` binary on PATH; Cython-based builds call `cython`).
    os.environ["PATH"] = os.path.join(venv, "bin") + os.pathsep + os.environ.get("PATH", "")
    t0 = time.time()
    installer = install(py, pip, a)
    if installer is None:
        log("installing the pinned build requirements failed")
        return 4
    phase("install", t0, phases)
    return project, py, installer


def build_pep517(project, py, a, phases, started, installer, options, build):
    """The wheel through the backend's PEP 517 hooks (pypa/build), after checking that every requirement it asks
    for is pinned (exit 3 with missing.json: the host resolves them as of the release and builds again)."""
    t0 = time.time()
    settings = config_settings(py, options)
    if settings:
        log(f"config settings of the publisher's build: {json.dumps(settings)}")
    builder = build.ProjectBuilder(project, python_executable=py)
    try:
        wanted = set(builder.build_system_requires) | set(builder.get_requires_for_build("wheel"))
    except build.BuildBackendException as exc:
        log(f"get_requires_for_build_wheel failed: {exc}")
        return 1
    missing = unmet(py, wanted)
    if missing:
        log("the backend asks for build dependencies that are not pinned: " + "; ".join(missing))
        os.makedirs(a.out, exist_ok=True)
        with open(os.path.join(a.out, "missing.json"), "w") as f:
            json.dump(missing, f)
        return 3
    os.makedirs(a.out, exist_ok=True)
    phase("requires", t0, phases)
    t0 = time.time()
    try:
        wheel = builder.build("wheel", a.out, settings)
    except build.BuildBackendException as exc:
        log(f"build failed: {exc}")
        return 1
    phase("build", t0, phases)
    return finish(a, wheel, project, phases, started, installer)


def main():
    a = arguments()
    os.umask(0o022)
    started = time.time()
    phases = {}
    site = os.path.join(a.frontend, "site")
    pip = os.path.join(a.frontend, "pip", "pip")
    options = json.loads(os.environ.get("AUDITOR_DRIVER_OPTIONS") or "{}")  # the plan's variant (plan/variants.py)
    clean_env = clean_environment()
    prepared = prepare(a, clean_env, site, pip, phases)
    if isinstance(prepared, int):
        return prepared
    project, py, installer = prepared
    sys.path.insert(0, site)
    import build  # noqa: E402  (from the frontend)

    if options.get("setup_py") or legacy_setup_py(project, py):
        return build_legacy(project, py, a, phases, started, installer, time.time(), options)
    return build_pep517(project, py, a, phases, started, installer, options, build)


if __name__ == "__main__":
    sys.exit(main())
