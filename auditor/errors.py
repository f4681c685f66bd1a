"""Exception classes. Each carries a message fit to print on one line, without a traceback."""

from __future__ import annotations


class AuditorError(Exception):
    """Base class for errors the auditor reports to the user."""


class InputError(AuditorError):
    """Bad user input (a lock, a results file, an option): exit code 2."""

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None, key: str | None = None):
        self.file = file
        self.line = line
        self.key = key
        self.detail = message
        where = file or ""
        if line is not None:
            where = f"{where}:{line}"
        if key is not None:
            where = f"{where}: {key}" if where else key
        super().__init__(f"{where}: {message}" if where else message)


class IndexError_(AuditorError):
    """The package index could not be read (network, HTTP status, bad page)."""


class HashMismatch(AuditorError):
    """Downloaded bytes do not have the expected sha256."""

    def __init__(self, filename: str, expected: str, actual: str):
        self.filename = filename
        self.expected = expected
        self.actual = actual
        super().__init__(f"{filename}: expected sha256 {expected}, got {actual}")


class UnsafeArchive(AuditorError):
    """An untrusted archive tried to escape, link out or exceed the size bounds."""


class LimitExceeded(AuditorError):
    """A bound of the auditor's own (how much it reads or unpacks) was reached by an archive that is not
    otherwise suspect: the wheel is `unverifiable` naming the bound and how to raise it, never `differs`."""

    def __init__(self, message: str, *, option: str | None = None):
        self.option = option
        super().__init__(message + (f" (raise it with {option})" if option else ""))


class BuildError(AuditorError):
    """The sdist's build configuration cannot be read (pyproject.toml, build requirements)."""


class ResolutionError(AuditorError):
    """Build requirements could not be resolved or downloaded."""


class SandboxError(AuditorError):
    """The container engine or image is unusable."""


class Cancelled(BaseException):
    """The run is being stopped (Ctrl-C, SIGTERM): unwind, keep nothing half-done. Not an AuditorError,
    so no per-package handler turns it into a verdict."""
