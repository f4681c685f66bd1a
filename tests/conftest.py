from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtureindex import FixtureIndex

ROOT = Path(__file__).resolve().parents[1]
PYPI = "https://pypi.org/simple/"


def _container_ready() -> str | None:
    """Why the container backend cannot run here, or None when it can."""
    from auditor.errors import SandboxError
    from auditor.sandbox.oci import OCISandbox, engine_answers

    for engine in ("docker", "podman"):
        if engine_answers(engine):
            try:
                OCISandbox(engine)
                return None
            except SandboxError as exc:
                return str(exc)
    return "no container engine answers"


@pytest.fixture(scope="session")
def container_backend() -> str:
    """The container backend; under CI=true its absence is a failure, never a skip."""
    why = _container_ready()
    if why:
        if os.environ.get("CI") == "true":
            pytest.fail(f"container tests must run under CI: {why}")
        pytest.skip(why)
    return "auto"


@pytest.fixture(scope="session")
def shared_cache(tmp_path_factory) -> Path:
    """One download cache for the session: build requirements are fetched once."""
    env = os.environ.get("AUDITOR_TEST_CACHE")
    return Path(env) if env else tmp_path_factory.mktemp("cache")


@pytest.fixture
def index(tmp_path):
    idx = FixtureIndex(tmp_path / "index")
    yield idx
    idx.close()


class Run:
    def __init__(self, proc: subprocess.CompletedProcess, report_dir: Path):
        self.proc = proc
        self.code = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr
        self.report_dir = report_dir

    @property
    def results(self) -> dict:
        data = json.loads((self.report_dir / "results.json").read_text())
        # every difference says what differs, in every test's results (an empty detail is a defect)
        for p in data.get("packages", []):
            for w in (p.get("wheels") or []) + (p.get("unlocked") or []):
                for d in (w.get("differences") or []) + (w.get("not_reproduced") or []):
                    assert (d.get("detail") or "").strip(), (p["name"], w["filename"], d)
        return data

    def package(self, name: str) -> dict:
        return next(p for p in self.results["packages"] if p["name"] == name)


@pytest.fixture
def auditor(tmp_path, shared_cache):
    """Run the real CLI in a subprocess (as a user would)."""

    def run(*args: str, report_dir: Path | None = None, timeout: float = 1800, env: dict | None = None) -> Run:
        report_dir = report_dir or tmp_path / "report"
        cmd = [sys.executable, "-m", "auditor", *args]
        if args and args[0] in ("check", "investigate"):
            cmd += ["--report-dir", str(report_dir), "--cache-dir", str(shared_cache)]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=tmp_path,
                              env=dict(os.environ, COLUMNS="200", **(env or {})))
        return Run(proc, report_dir)

    return run


def auditor_containers(run_id: str) -> set[str]:
    """IDs of the containers of the auditor run labelled `run_id` (AUDITOR_RUN_ID) that still exist: another
    run's on this machine, or a leftover of an earlier killed one, is not this test's."""
    if not shutil.which("docker"):
        return set()
    p = subprocess.run(["docker", "ps", "-aq", "--no-trunc", "--filter", f"label=org.auditor.run={run_id}"],
                       capture_output=True, text=True)
    return set(p.stdout.split())


# ---------------------------------------------------------------- markers
# Every test gets exactly one of these (--strict-markers refuses any other), from what it asks for:
#   container    it rebuilds in the container engine (asks for `container_backend`);
#   network      it reaches PyPI or the npm registry (the files below, or a fixture that fetches);
#   integration  it runs the CLI or a local fixture index on 127.0.0.1 (no container, no network);
#   unit         everything else: in-process, on small fixtures the test builds; `pytest -m unit` runs
#                them without docker or network, in well under a minute.
_NETWORK_FIXTURES = {"sarif_schema"}  # fetches the SARIF schema's npm package
_NETWORK_FILES = {"test_examples.py"}  # check-jsonschema / kubernetes-validate read their vendored schemas, but
# kubernetes-validate may look up a schema version online
_INTEGRATION_FIXTURES = {"auditor", "index", "published", "browser", "shared_cache"}
_INTEGRATION_FILES = {"test_mutations.py"}  # a pytest process per rule: not the fast loop


def pytest_configure(config):
    """Every comparison made by this session, in this process or a CLI run it starts, checks the names it
    emits against the judge's registry (an unregistered one is an error) and logs the rules it used. Under
    tests/test_mutations.py (AUDITOR_ACCEPT_ALL=RULE) one rule is widened to accept everything first."""
    log = Path(config.rootpath) / ".pytest_cache" / f"rules-used-{os.getpid()}.txt"
    log.parent.mkdir(exist_ok=True)
    log.write_text("")
    os.environ["AUDITOR_RULES_LOG"] = str(log)
    mutated = os.environ.get("AUDITOR_ACCEPT_ALL")
    if mutated:
        from tests.mutations import accept_everything

        accept_everything(mutated)


# ---------------------------------------------------------------- attacker twins
# Every registered rule that accepts, waives or normalizes something (Rule.excuses) has attacker twins: tests
# marked @pytest.mark.twin("rule", ...) in which the rule's own situation carries a payload it is not about, which
# must stay a difference. A unit run that ran every unit test fails while an excusing rule has none, unless
# tests/twins_pending.txt lists it (the debt, which may only shrink: a listed rule that has a twin fails too).
PENDING = Path(__file__).parent / "twins_pending.txt"
_TWINS: dict[str, tuple[str, ...]] = {}  # node id -> the rules it is a twin of
_TWINNED: set[str] = set()  # rules with a twin that passed in this session


def twin_rules(item) -> tuple[str, ...]:
    return tuple(r for m in item.iter_markers("twin") for r in m.args)


def pending_twins() -> set[str]:
    return {ln.split("#", 1)[0].strip() for ln in PENDING.read_text().splitlines()} - {""}


def pytest_runtest_logreport(report):
    if report.when == "call" and report.passed:
        _TWINNED.update(_TWINS.get(report.nodeid, ()))


def _twin_problems() -> list[str]:
    from auditor.judge.registry import BY_NAME, RULES

    pending, marked = pending_twins(), {r for rules in _TWINS.values() for r in rules}
    out = [f"twin of an unknown rule: {r}" for r in sorted(marked - set(BY_NAME))]
    out += [f"twin of a rule that excuses nothing: {r}" for r in sorted(marked & set(BY_NAME)) if not BY_NAME[r].excuses]
    missing = sorted(r.name for r in RULES if r.excuses and r.name not in _TWINNED and r.name not in pending)
    if missing:
        out.append(f"excusing rules with no attacker twin that passed (tests marked @pytest.mark.twin): {', '.join(missing)}")
    unsaid = sorted(r.name for r in RULES if r.excuses and r.name not in pending and not r.never)
    if unsaid:
        out.append(f"excusing rules that do not say what they never excuse (Rule.never): {', '.join(unsaid)}")
    stale = sorted(pending & _TWINNED)
    if stale:
        out.append(f"tests/twins_pending.txt lists rules that have a twin now (take them off): {', '.join(stale)}")
    out += [f"tests/twins_pending.txt: {r} is no excusing rule" for r in sorted(pending - {r.name for r in RULES if r.excuses})]
    return out


def pytest_sessionfinish(session, exitstatus):
    """When every unit test ran, each registered rule must have been exercised by one of them (a rule no
    test exercises fails the session, naming it)."""
    from auditor.judge.registry import RULES

    log = Path(os.environ.get("AUDITOR_RULES_LOG", ""))
    ran_all_units = session.config.option.markexpr in ("", "unit") and not session.config.option.keyword \
        and not os.environ.get("AUDITOR_TWINS_OF") \
        and not session.config.args[1:] and session.testsfailed == 0 and Path(session.config.args[0] if
                                                                             session.config.args else "tests").name == "tests"
    if not log.is_file():
        return
    used = set(log.read_text().split())
    unused = sorted(r.name for r in RULES if r.name not in used)
    log.unlink()
    if not ran_all_units:
        return
    problems = ([f"registered rules no test exercised: {', '.join(unused)}"] if unused else []) + _twin_problems()
    for problem in problems:
        session.config.pluginmanager.get_plugin("terminalreporter").write_line(problem, red=True)
    if problems:
        session.exitstatus = 1


def pytest_collection_modifyitems(config, items):
    _TWINS.clear()
    _TWINS.update({item.nodeid: twin_rules(item) for item in items if twin_rules(item)})
    only = os.environ.get("AUDITOR_TWINS_OF")
    if only:  # tests/test_mutations.py: the twins of one rule only
        keep = [item for item in items if only in twin_rules(item)]
        config.hook.pytest_deselected(items=[item for item in items if item not in keep])
        items[:] = keep
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if "container_backend" in fixtures:
            kind = "container"
        elif fixtures & _NETWORK_FIXTURES or item.path.name in _NETWORK_FILES:
            kind = "network"
        elif fixtures & _INTEGRATION_FIXTURES or item.path.name in _INTEGRATION_FILES:
            kind = "integration"
        else:
            kind = "unit"
        item.add_marker(getattr(pytest.mark, kind))
