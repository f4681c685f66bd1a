"""The members of two wheels and what differs between them: the primitives every comparison uses
(what is compiled, an extension module's name, a member's difference in a few lines, one Difference)."""

from __future__ import annotations

import difflib
import re

from auditor.errors import LimitExceeded
from auditor.fetch import archives
from auditor.fetch.archives import WheelArchive, extension_stem
from auditor.judge.registry import check_emitted
from auditor.judge.rules import classify
from auditor.records import Comparison, Difference


# compiled code, and the compiler's and linker's by-products some Windows wheels carry (.obj, .lib, .exp, .pdb:
# yarl 1.18.3's cp313 Windows wheels ship yarl/_quoting_c.obj)
_COMPILED = re.compile(r"(\.so(\.[0-9]+)*|\.pyd|\.dylib|\.dll|\.a|\.lib|\.exp|\.pdb|\.obj)$")


def is_compiled(path: str) -> bool:
    """Compiled code or a grafted native library (auditwheel's NAME.libs/, delocate's .dylibs/)."""
    parts = path.split("/")
    return bool(_COMPILED.search(path)) or any(p.endswith((".libs", ".dylibs")) for p in parts[:-1])


def is_program(wa, name: str) -> bool:
    """A compiled program a wheel installs as a script (maturin's `bindings = "bin"`: ruff, uv): an ELF
    executable under NAME.data/scripts/, compiled code judged like a compiled module."""
    if "/scripts/" not in name or not name.split("/", 1)[0].endswith(".data"):
        return False
    try:
        return wa.head(name, 4) == b"\x7fELF"
    except Exception:
        return False


READ_LIMIT_CAUSE = "read-limit"


def not_read(out: Comparison, name: str, why: str) -> None:
    """A member whose bytes are not the other side's and that a bound of ours kept the judge from reading: one
    member not verified, said with the bound and the option that raises it; never a difference, never the
    wheel's whole judgement (every other member is still judged, and any difference found stands)."""
    out.compiled_differences.append(Difference(name, "content", f"not judged: {why}", classify(name), READ_LIMIT_CAUSE))


def over_read_limit(out: Comparison, name: str, size: int) -> bool:
    """The published member (`size` bytes) is larger than what the judge reads into memory: said by not_read, True.
    Only the published member's size decides: a rebuild's or an sdist's copy past the bound is one no rule reads, so
    no rule accounts for a published member by it (the publisher chooses the sdist's sizes too)."""
    if size <= archives.READ_LIMIT:
        return False
    not_read(out, name, f"{size} bytes, larger than the {archives.READ_LIMIT >> 20} MiB the auditor reads into "
                        f"memory to compare a member by a rule ({archives.READ_OPTION} raises it); its sha256 differs")
    return True


def bounded(out: Comparison, name: str, judge, *args, **kwargs) -> None:
    """Judge one member with `judge(*args, **kwargs)`; a bound of ours reached while reading it (LimitExceeded)
    makes that member one not read (not_read), the others are judged on."""
    try:
        judge(*args, **kwargs)
    except LimitExceeded as exc:
        not_read(out, name, str(exc))


def limited(differences) -> list:
    """The members a bound of ours kept from being judged."""
    return [d for d in differences if d.cause == READ_LIMIT_CAUSE]


def member_kind(path: str) -> str:
    top = path.split("/", 1)[0]
    return "metadata" if top.endswith(".dist-info") else "content"


def text_diff(pub: WheelArchive, reb: WheelArchive, path: str, limit: int = 12) -> str:
    try:
        a = reb.read(path, limit=1 << 20).decode("utf-8").splitlines()
        b = pub.read(path, limit=1 << 20).decode("utf-8").splitlines()
    except Exception:  # binary, or too large to inline: diffoscope shows it
        return ""
    lines = [
        ln for ln in difflib.unified_diff(a, b, "rebuilt", "published", n=0, lineterm="")
        if not ln.startswith(("---", "+++", "@@"))
    ]
    more = f" (+{len(lines) - limit} more lines)" if len(lines) > limit else ""
    return "\n".join(lines[:limit]) + more


def is_record(name: str) -> bool:
    return name.endswith(".dist-info/RECORD") and name.count("/") == 1


def crlf_only(pub: WheelArchive, reb: WheelArchive, name: str) -> bool:
    """The two members differ only in CRLF vs LF line endings (a Windows checkout of the sources)."""
    try:
        a, b = pub.read(name, limit=1 << 22), reb.read(name, limit=1 << 22)
    except Exception:
        return False
    return a != b and a.replace(b"\r\n", b"\n") == b.replace(b"\r\n", b"\n")




def defines_module_init(wa: WheelArchive, name: str) -> bool:
    """A shared library can be imported as a Python module only if it defines PyInit_<its name> (ELF,
    Mach-O and PE keep symbol names as NUL-terminated strings); one that does not is a native library
    the package loads itself (snowflake's minicore/<platform>/libsf_mini_core.so)."""
    stem = extension_stem(name)
    if stem is None:
        return False
    try:
        data = wa.read(name, limit=1 << 27)
    except Exception:
        return True  # unreadable: judged as a module, the stricter way
    return b"PyInit_" + stem.rsplit("/", 1)[-1].encode() + b"\0" in data


def member_detail(pub: WheelArchive, reb: WheelArchive, name: str) -> str:
    """What differs in one member, in a few lines; never empty."""
    text = text_diff(pub, reb, name) if name.endswith(_TEXT) or member_kind(name) == "metadata" else ""
    if text and any(c.isalnum() for c in text):
        return text
    if text:  # only blank lines or white space differ: say so, with the sizes
        a, b = pub.members[name], reb.members[name]
        return f"white space or blank lines only: {a.size} bytes published, {b.size} rebuilt"
    a, b = pub.members[name], reb.members[name]
    if a.size != b.size:
        return f"content differs: {a.size} bytes published, {b.size} rebuilt"
    return f"content differs: same size ({a.size} bytes), sha256 {a.sha256[:12]} published, {b.sha256[:12]} rebuilt"


_TEXT = (".py", ".pth", ".txt", ".pyi", ".cfg", ".toml", ".json", ".md", ".rst", ".ini", ".sh")


def member_diff(name: str, kind: str, detail: str, cls: str | None = None, cause: str | None = None) -> Difference:
    return Difference(name, kind, detail, cls or classify(name), cause)


def same_bytes(a: WheelArchive, an: str, b: WheelArchive, bn: str, crlf_ok: bool) -> bool:
    if a.members[an].sha256 == b.members[bn].sha256:
        return True
    if not crlf_ok:
        return False
    try:
        return a.read(an, 1 << 22).replace(b"\r\n", b"\n") == b.read(bn, 1 << 22).replace(b"\r\n", b"\n")
    except Exception:
        return False


def finish_comparison(out: Comparison) -> Comparison:
    """The comparison as the judge returns it: names sorted once, the gzipped copies said as one
    difference, every emitted name checked against the registry (judge/registry.py)."""
    out.normalizations = sorted(set(out.normalizations))
    out.tool_steps = sorted(set(out.tool_steps))
    if out.gzipped:
        n = len(out.gzipped)
        out.differences.append(Difference(
            f"({n} .gz members)", "added",
            f"{n} member(s) such as {out.gzipped[0]} are gzip-compressed copies of the rebuild's "
            f"{out.gzipped[0][:-3]} (decompressed content equal, verified); the sdist holds them uncompressed",
            "packaging", "release step outside the sdist (data compressed)"))
    check_emitted(out)
    return out
