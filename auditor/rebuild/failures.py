"""One-line causes for failed rebuilds, read off the build log (the log itself is kept in the report).

Each rule: a pattern the log shows, and the cause a person can check. The first match wins; an
unrecognised failure keeps the log's last lines as its reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class FailureCause:
    """Why a build failed, in one line, and (when it says so) the newest Python that can run that build."""

    text: str
    needs_python: tuple[int, int] | None = None
    missing: tuple[str, str] | None = None  # (header | program | pkgconfig | compiler, name) a system package ships
    needs_rustc: tuple[int, int] | None = None  # the oldest rustc the cause says the build needs ((1, 0): a newer one)


RULES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"Killed signal terminated program (\w+)|(cc1\w*|ld|collect2): .*[Kk]illed"),
     "the compiler ({0}) was killed by the sandbox's memory limit (--build-memory, default 4g): raise it to build this"),
    (re.compile(r"virtual memory exhausted|out of memory allocating|std::bad_alloc"),
     "the compiler ran out of memory under the sandbox's limit (--build-memory, default 4g): raise it to build this"),
    # a Rust build whose crates or lock file need a newer rustc/cargo than the image's Debian one
    (re.compile(r"requires rustc (\d+\.\d+)(?:\.\d+)? or newer, while the currently active rustc version is ([\d.]+)|"
                r"(?:\S+) requires rustc (\d+\.\d+)(?:\.\d+)?\b.*?rustc ([\d.]+) is not supported|"
                r"rustc ([\d.]+) is not supported by the following packages?:\s*\S+ requires rustc (\d+\.\d+)"),
     "needs rustc {0} or newer (a crate's rust-version); the image's rustc is {1}"),
    (re.compile(r"lock file version `?(4)`? (?:requires|was found)"),
     "needs rustc 1.78 or newer: the sdist's Cargo.lock is format {0}, which the image's cargo cannot read"),
    (re.compile(r"feature `edition(2024)` is required"),
     "needs rustc 1.85 or newer: a crate is written in edition {0}, which the image's cargo does not know"),
    (re.compile(r"error\[E0658\]: use of unstable library feature|is not yet stable as a const fn|"
                r"error\[E0658\]: (?:use of unstable|.*is experimental)"),
     "needs a newer rustc than the image's: a crate uses a language or library feature stabilized since"),
    (re.compile(r"can't find Rust compiler|cargo: (command )?not found|"
                r"rustc .*not found|Rust not found|No such file or directory: 'cargo'", re.I),
     "needs a Rust toolchain (cargo, rustc), which this build's image does not have"),
    (re.compile(r"The headers or library files could not be found for (\w+)"),
     "needs the {0} library (headers and files), which the sandbox lacks"),
    (re.compile(r"Can not find valid pkg-config name.*\n.*MYSQLCLIENT_CFLAGS"),
     "needs the MySQL/MariaDB client library (pkg-config mysqlclient or mariadb), which the sandbox lacks"),
    (re.compile(r"error: ([\w.+-]+) is not installed or not in path"),
     "needs {0} (a system library and its development files), which the sandbox lacks"),
    (re.compile(r"ERROR: Unknown compiler\(s\): \[\['(\w+)'\]"),
     "needs a compiler the sandbox does not have ({0}: Fortran)"),
    (re.compile(r"ERROR: Dependency \"?([\w.+-]+)\"? not found"),
     "needs the system library {0} (its development files), which the sandbox lacks"),
    (re.compile(r"fatal error: ([\w./+-]+\.h): No such file or directory"),
     "a C header the sandbox lacks: {0} (a system library's -dev package)"),
    (re.compile(r"""(?:Could not run|No such file or directory:?|not found:?|command not found:?) '?([\w.+-]+[-_]config)\b'?|"""
                r"""'?([\w.+-]+[-_]config)'?: (?:command )?not found"""),
     "needs {0} (a system library's configuration tool), which the sandbox lacks"),
    (re.compile(r"make sure the (\w+(?: and \w+)?) development packages are installed|"
                r"Package '?([\w.+-]+)'?,? .*not found", re.I),
     "needs system library development files the sandbox lacks ({0})"),
    (re.compile(r"pg_config executable not found", re.I),
     "needs system library development files the sandbox lacks (libpq: pg_config)"),
    (re.compile(r"module 'collections' has no attribute '(Mutable\w+|Mapping|Sequence|Iterable|Callable)'"),
     "needs Python 3.9 or older: the build uses collections.{0}, removed in Python 3.10; the sandbox has a newer one"),
    (re.compile(r"HTMLParser' object has no attribute 'unescape'|has no attribute 'unescape'"),
     "needs Python 3.8 or older: the build calls HTMLParser.unescape, removed in Python 3.9"),
    (re.compile(r"No module named '(symbol|parser|formatter)'"),
     "needs Python 3.9 or older: the build imports {0}, removed from the standard library in Python 3.10"),
    (re.compile(r"No module named '(distutils|imp|asynchat|asyncore|smtpd)'"),
     "needs Python 3.11 or older: the build imports {0}, removed from the standard library in Python 3.12"),
    (re.compile(r"uv-build was not properly installed|uv_build.*not (properly )?installed", re.I),
     "the uv_build backend's binary could not run in the sandbox"),
    (re.compile(r"Temporary failure in name resolution|Name or service not known|Network is unreachable|"
                r"ConnectError|Failed to establish a new connection|Could not fetch URL|urlopen error", re.I),
     "the build tried to reach the network, which the sandbox does not allow (it downloads at build time)"),
    (re.compile(r"FileNotFoundError: \[Errno 2\] No such file or directory: '([^'/][^']*)'"),
     "the build reads {0}, which the sdist does not hold (an incomplete sdist)"),
    (re.compile(r"SyntaxError: (Missing parentheses in call to 'print'|invalid syntax)"),
     "Python 2 syntax in the build: needs an interpreter the sandbox does not have"),
]


_NEEDS_PYTHON = re.compile(r"^needs Python (\d+)\.(\d+) or older")
_NEEDS_RUSTC = re.compile(r"^needs (?:rustc (\d+)\.(\d+) or newer|a newer rustc)")
# what a cause says the build was missing, that a Debian package may ship: (kind, its file name)
_MISSING = (
    (re.compile(r"^a C header the sandbox lacks: ([\w./+-]+\.h)"), "header", "{0}"),
    (re.compile(r"^needs ([\w.+-]+[-_]config) \(a system library's configuration tool\)"), "program", "{0}"),
    (re.compile(r"^needs the system library ([\w.+-]+) \(its development files\)"), "pkgconfig", "{0}.pc"),
    (re.compile(r"^needs a compiler the sandbox does not have \((\w+): Fortran\)"), "compiler", "{0}"),
)


def _missing(cause: str) -> tuple[str, str] | None:
    for pattern, kind, name in _MISSING:
        m = pattern.match(cause)
        if m:
            return kind, name.format(m.group(1))
    return None


def failure_cause(log: str) -> str | None:
    found = explain(log)
    return found.text if found else None


def explain(log: str) -> FailureCause | None:
    """The first rule the log matches, as a FailureCause (its needs_python read off the rule, not the log)."""
    for pattern, cause in RULES:
        m = pattern.search(log)
        if m:
            needs = _NEEDS_PYTHON.match(cause)
            groups = [g for g in m.groups() if g]
            if m.re.pattern.startswith("requires rustc") and m.group(5):  # cargo's newer wording names the image's first
                groups = [m.group(6), m.group(5)]
            text = cause.format(*groups)
            rustc = _NEEDS_RUSTC.match(text)
            return FailureCause(text, (int(needs.group(1)), int(needs.group(2))) if needs else None, _missing(text),
                                ((int(rustc.group(1)), int(rustc.group(2))) if rustc.group(1) else (1, 0)) if rustc else None)
    return None
