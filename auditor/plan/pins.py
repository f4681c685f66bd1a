"""Build inputs an sdist pins by hash besides its Python build requirements: the crates of a Rust build
(`Cargo.lock`, a sha256 `checksum` per registry crate) and the downloads of meson wraps
(`subprojects/*.wrap`, `source_hash`/`patch_hash`). Read here from the extracted sdist, without fetching:
fetch/inputs.py downloads each one outside the sandbox and checks it against the pin read here.
"""

from __future__ import annotations

import configparser
import re
import tomllib
from pathlib import Path

from auditor.records import Crate, Pins, Wrap

CRATES_IO_SOURCES = ("registry+https://github.com/rust-lang/crates.io-index", "sparse+https://index.crates.io/")
RUST_TOOLCHAIN = ("cargo", "rustc")  # the Debian packages a Rust build adds to its image
_SKIP = {"target", ".git", "vendor", "node_modules", "tests", "test", "docs", "examples", "benches"}
_HEX64 = re.compile(r"[0-9a-f]{64}")


def _walk(root: Path, pattern: str, depth: int = 4) -> list[Path]:
    out = []
    for p in sorted(root.rglob(pattern)):
        rel = p.relative_to(root).parts
        if len(rel) <= depth and not (set(rel[:-1]) & _SKIP) and p.is_file():
            out.append(p)
    return out


def _build_requires(src: Path) -> list[str]:
    try:
        data = tomllib.loads((src / "pyproject.toml").read_text(encoding="utf-8", errors="replace"))
    except (OSError, tomllib.TOMLDecodeError):
        return []
    reqs = (data.get("build-system") or {}).get("requires") or []
    return [r for r in reqs if isinstance(r, str)]


def is_rust(src: Path) -> bool:
    """A Rust build: its build requirements name maturin or setuptools-rust, or its setup.py imports
    setuptools_rust, and it holds a Cargo.toml."""
    names = {re.split(r"[\s<>=!~;\[(]", r.strip(), maxsplit=1)[0].lower().replace("_", "-") for r in _build_requires(src)}
    uses = bool(names & {"maturin", "setuptools-rust"})
    if not uses and (src / "setup.py").is_file():
        uses = "setuptools_rust" in (src / "setup.py").read_text(encoding="utf-8", errors="replace")
    return uses and bool(_walk(src, "Cargo.toml"))


_RUSTC = re.compile(rb"rustc version (\d+\.\d+\.\d+)")
# where cargo had unpacked crates.io's crates on the publisher's machine, as its panic locations say
_CRATE_DIR = re.compile(rb"(/(?:[\w.+-]+/){1,8}registry/src/index\.crates\.io-[0-9a-f]{16})/[\w.+-]+-\d+\.\d+\.\d+[\w.+-]*/")
_RESERVED = ("/in", "/out", "/build", "/tmp", "/proc", "/sys", "/dev", "/ccache", "/usr", "/bin", "/lib", "/etc")


def _compiled(wheel) -> list[bytes]:
    out = []
    names = [m for m in wheel.members if m.endswith(".so") or ".so." in m or "/scripts/" in m]
    for name in names[:4]:
        try:
            if wheel.head(name, 4) == b"\x7fELF":
                out.append(wheel.read(name, limit=1 << 27))
        except Exception:  # an unreadable member is the judge's to report, not the plan's
            continue
    return out


def publisher_rustc(wheel) -> str | None:
    """The rustc that compiled a published wheel's Rust module or program, as its ELF `.comment` section says
    ("rustc version 1.83.0 (90b35a623 2024-11-26)"); None when no compiled member names one."""
    for data in _compiled(wheel):
        found = _RUSTC.search(data)
        if found:
            return found.group(1).decode()
    return None


def publisher_crate_dir(wheel) -> str | None:
    """The directory cargo had unpacked crates.io's crates into on the publisher's machine
    (`/home/runner/.cargo/registry/src/index.crates.io-6f17d22bba15001f`), read from the crate paths its
    compiled members' panic locations carry; None when they name none (or a path the sandbox keeps for itself).
    The rebuild vendors the crates at that path, so that those strings are the same."""
    for data in _compiled(wheel):
        found = _CRATE_DIR.search(data)
        if found:
            path = found.group(1).decode()
            if ".." not in path.split("/") and not path.startswith(_RESERVED):
                return path
    return None


def _cargo_lock(path: Path, rel: str, pins: Pins) -> None:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8", errors="replace"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        pins.unpinned.append(f"{rel} cannot be read: {exc}")
        return
    legacy = {}  # lock format 1: checksums under [metadata]
    for key, value in (data.get("metadata") or {}).items():
        m = re.fullmatch(r"checksum (\S+) (\S+) \((.+)\)", key)
        if m and isinstance(value, str):
            legacy[(m.group(1), m.group(2))] = value
    for pkg in data.get("package") or []:
        if not isinstance(pkg, dict):
            continue
        name, version, source = str(pkg.get("name", "")), str(pkg.get("version", "")), pkg.get("source")
        if not source:
            continue  # a member of the sdist's own workspace, or a path dependency inside it
        source = str(source)
        if source.startswith("git+"):
            url, _, commit = source.removeprefix("git+").partition("#")
            pins.git.append(f"{name} {version} ({url.split('?')[0]} at {commit[:12] or 'no pinned commit'})")
            continue
        if source not in CRATES_IO_SOURCES:
            pins.unpinned.append(f"{rel} takes {name} {version} from another registry ({source}): not fetched")
            continue
        checksum = str(pkg.get("checksum") or legacy.get((name, version)) or "")
        if not _HEX64.fullmatch(checksum):
            pins.unpinned.append(f"{rel} pins no checksum for {name} {version}")
            continue
        pins.crates.append(Crate(name, version, checksum, rel))


def _rust_version(src: Path) -> str | None:
    best: tuple[int, ...] | None = None
    for manifest in _walk(src, "Cargo.toml"):
        try:
            data = tomllib.loads(manifest.read_text(encoding="utf-8", errors="replace"))
        except (OSError, tomllib.TOMLDecodeError):
            continue
        for table in (data.get("package") or {}, (data.get("workspace") or {}).get("package") or {}):
            v = table.get("rust-version")
            if isinstance(v, str) and re.fullmatch(r"\d+\.\d+(\.\d+)?", v):
                t = tuple(int(x) for x in v.split("."))
                best = t if best is None or t > best else best
    return ".".join(map(str, best)) if best else None


def _wraps(src: Path, pins: Pins) -> None:
    subprojects = src / "subprojects"
    if not subprojects.is_dir():
        return
    for wrap in sorted(subprojects.glob("*.wrap")):
        cp = configparser.ConfigParser(interpolation=None)
        try:
            cp.read_string(wrap.read_text(encoding="utf-8", errors="replace"))
        except (OSError, configparser.Error):
            continue
        if not cp.has_section("wrap-file"):
            continue  # wrap-git, wrap-redirect: nothing pinned by hash to fetch
        s = cp["wrap-file"]
        directory = s.get("directory", wrap.stem)
        if (subprojects / directory).is_dir():
            continue  # the sdist carries the subproject's sources (meson dist --include-subprojects)
        for role in ("source", "patch"):
            url, filename, digest = s.get(f"{role}_url"), s.get(f"{role}_filename"), (s.get(f"{role}_hash") or "").lower()
            if not url or not filename:
                continue
            if (subprojects / "packagecache" / filename).is_file():
                continue
            if not _HEX64.fullmatch(digest):
                pins.unpinned.append(f"subprojects/{wrap.name} pins no sha256 for its {role} ({url})")
                continue
            pins.wraps.append(Wrap(wrap.stem, role, url, Path(filename).name, digest))


def read_pins(src: Path) -> Pins:
    """Every input the extracted sdist `src` pins for its build (see the module's docstring)."""
    pins = Pins()
    if is_rust(src):
        pins.rust = True
        locks = _walk(src, "Cargo.lock")
        if not locks:
            pins.unpinned.append("the sdist holds Cargo.toml but no Cargo.lock: nothing pins its crates")
        for lock in locks:
            _cargo_lock(lock, str(lock.relative_to(src)), pins)
        if pins.git:
            pins.unpinned.append(f"Cargo.lock takes {len(pins.git)} crate(s) from git ({', '.join(pins.git[:2])}"
                                 f"{', …' if len(pins.git) > 2 else ''}): auditor does not fetch git dependencies yet, "
                                 "so the build cannot be made offline")
        pins.rust_version = _rust_version(src)
        seen: set[tuple[str, str, str]] = set()
        pins.crates = [c for c in pins.crates if (c.name, c.version, c.sha256) not in seen
                       and not seen.add((c.name, c.version, c.sha256))]  # type: ignore[func-returns-value]
    _wraps(src, pins)
    return pins


def _version(text: str | None) -> tuple[int, int] | None:
    found = re.match(r"(\d+)\.(\d+)", text or "")
    return (int(found.group(1)), int(found.group(2))) if found else None


def rust_python(rustc_of: dict[str, tuple[int, int]], python: str, rust_version: str | None,
                publisher: str | None) -> tuple[str, str] | None:
    """The interpreter whose image a Rust build should use instead of `python`'s, and why, or None to keep it.
    `rustc_of`: each interpreter's image's rustc (X, Y). The wheel's own interpreter is kept while its image's
    rustc satisfies the sdist's `rust-version` (a build for another interpreter is compared as one); when it
    does not, the image chosen is, among those whose rustc does, the one nearest to the publisher's rustc (read
    from its compiled members), the older on a tie, or the oldest when the publisher's is unknown."""
    need, have = _version(rust_version), rustc_of.get(python)
    if need is None or have is None or have >= need:
        return None
    fits = [(py, rustc) for py, rustc in rustc_of.items() if rustc >= need]
    if not fits:
        return None  # no image can: the build fails and its cause says so
    theirs = _version(publisher)

    def distance(item: tuple[str, tuple[int, int]]) -> tuple[int, tuple[int, int]]:
        rustc = item[1]
        return (abs((rustc[0] - theirs[0]) * 1000 + rustc[1] - theirs[1]) if theirs else 0, rustc)

    py, rustc = min(fits, key=distance)
    nearest = f", the nearest to the publisher's {publisher}" if theirs else ""
    return py, (f"the sdist's Cargo.toml asks for rustc {rust_version} or newer and Python {python}'s image has "
                f"{have[0]}.{have[1]}: built in Python {py}'s image (rustc {rustc[0]}.{rustc[1]}{nearest}); its "
                "wheel is another interpreter's build")
