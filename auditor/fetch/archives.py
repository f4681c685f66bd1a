"""Safe handling of untrusted archives (sdists and wheels).

Extraction refuses absolute paths, `..`, links that point out of the destination, writes through
links, device files, and anything past the size and count bounds (tar and zip bombs). Wheels are
read member by member without extracting: each member is decompressed in a bounded stream and
hashed, and the archive's structure (duplicates, comment, data around the archive, links) is kept
so the comparer can report it.
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import functools
import hashlib
import inspect
import json
import re
import os
import stat
import struct
import tarfile
import threading
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from auditor.errors import LimitExceeded, UnsafeArchive

MAX_MEMBERS = 100_000
MAX_MEMBER_BYTES = 1 << 30  # 1 GiB decompressed for one member
MAX_TOTAL_BYTES = 4 << 30  # 4 GiB decompressed for one archive
# A zip bomb, refused as such: a member that inflates past BOMB_FLOOR at more than BOMB_RATIO times its
# compressed size. Honest members stay far below (a 40 MB executable deflates about 3:1; text 5-10:1;
# even a file of zeros inflated past 64 MiB is no honest wheel member).
BOMB_FLOOR = 64 << 20
BOMB_RATIO = 200
LIMIT_OPTION = "--max-unpacked-gib"
# What the judge reads of one member into memory to compare it under a rule (bytes are compared by sha256 whatever
# their size): a bound that protects the machine. A member past it is one member not judged, said with this bound
# and the option that raises it; every other member is still judged (judge/diffs.not_read).
READ_LIMIT = 64 << 20
READ_OPTION = "--max-member-mib"


def set_limits(total_gib: float | None = None, member_mib: float | None = None) -> None:
    """The run's bound on what one archive may unpack to (--max-unpacked-gib; one member may use all of it), and
    on what the judge reads of one member into memory (--max-member-mib)."""
    global MAX_MEMBER_BYTES, MAX_TOTAL_BYTES, READ_LIMIT
    if total_gib:
        MAX_TOTAL_BYTES = int(total_gib * (1 << 30))
        MAX_MEMBER_BYTES = MAX_TOTAL_BYTES
    if member_mib:
        READ_LIMIT = int(member_mib * (1 << 20))


def _check_name(name: str) -> None:
    p = PurePosixPath(name)
    if name.startswith(("/", "\\")) or p.is_absolute() or (len(name) > 1 and name[1] == ":"):
        raise UnsafeArchive(f"absolute path member {name!r}")
    if ".." in p.parts or "\\" in name:
        raise UnsafeArchive(f"path escapes the destination: {name!r}")


def extract_sdist(archive: Path, dest: Path, filename: str | None = None) -> Path:
    """Extract an sdist into dest and return its single top-level directory.

    filename: the sdist's real name (the cache stores files under their hash)."""
    dest.mkdir(parents=True, exist_ok=True)
    name = filename or archive.name
    try:
        if name.endswith(".zip"):
            extract_zip(archive, dest)
        else:
            _extract_tar(archive, dest)
    except UnsafeArchive as exc:
        raise UnsafeArchive(str(exc).replace(archive.name, name)) from None
    _readable(dest)
    tops = [p for p in dest.iterdir()]
    if len(tops) != 1 or not tops[0].is_dir():
        raise UnsafeArchive(f"{name}: expected one top-level directory, found {sorted(p.name for p in tops)[:5]}")
    return tops[0]


def _readable(root: Path) -> None:
    """Make every extracted file readable and every directory traversable by anyone (the build runs as
    an unprivileged user): sdists carry odd modes (0600 files, 0644 directories, as alembic's and mako's
    do). Only read and search bits are added; a file is executable for everyone exactly when the sdist made
    it executable for someone."""
    for dirpath, dirnames, filenames in os.walk(root):
        os.chmod(dirpath, stat.S_IMODE(os.lstat(dirpath).st_mode) | 0o755)
        for f in filenames:
            p = os.path.join(dirpath, f)
            st = os.lstat(p)
            if stat.S_ISREG(st.st_mode):
                mode = stat.S_IMODE(st.st_mode)
                os.chmod(p, mode | 0o644 | (0o111 if mode & 0o111 else 0))


def _extract_tar(archive: Path, dest: Path) -> None:
    try:
        tar = tarfile.open(archive, "r:*")
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise UnsafeArchive(f"{archive.name}: not a readable tar archive: {exc}") from None
    with tar:
        total = 0
        count = 0
        try:
            for member in tar:
                count += 1
                if count > MAX_MEMBERS:
                    raise UnsafeArchive(f"{archive.name}: more than {MAX_MEMBERS} members")
                _check_name(member.name)
                if member.size > MAX_MEMBER_BYTES:
                    raise UnsafeArchive(f"{archive.name}: member {member.name!r} is {member.size} bytes")
                total += member.size
                if total > MAX_TOTAL_BYTES:
                    raise UnsafeArchive(f"{archive.name}: more than {MAX_TOTAL_BYTES} bytes unpacked")
                if member.isdev() or member.isfifo():
                    raise UnsafeArchive(f"{archive.name}: special file {member.name!r}")
                # PEP 706's data filter refuses links out of dest and writes through links.
                tar.extract(member, dest, filter="data")
        except tarfile.FilterError as exc:
            raise UnsafeArchive(f"{archive.name}: {exc}") from None
        except (tarfile.TarError, EOFError, OSError, zlib_error()) as exc:
            raise UnsafeArchive(f"{archive.name}: broken archive: {exc}") from None


def zlib_error() -> type[Exception]:
    import zlib

    return zlib.error


def extract_zip(archive: Path, dest: Path) -> None:
    with zipfile.ZipFile(archive) as zf:
        infos = zf.infolist()
        if len(infos) > MAX_MEMBERS:
            raise UnsafeArchive(f"{archive.name}: more than {MAX_MEMBERS} members")
        total = 0
        root = dest.resolve()
        for info in infos:
            _check_name(info.filename)
            mode = info.external_attr >> 16
            if stat.S_ISLNK(mode):
                raise UnsafeArchive(f"{archive.name}: symlink member {info.filename!r}")
            target = (dest / info.filename).resolve()
            if root not in target.parents and target != root:
                raise UnsafeArchive(f"{archive.name}: path escapes the destination: {info.filename!r}")
            if info.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(info) as src, open(target, "wb") as out:
                while block := src.read(1 << 20):
                    total += len(block)
                    if total > MAX_TOTAL_BYTES:
                        raise UnsafeArchive(f"{archive.name}: more than {MAX_TOTAL_BYTES} bytes unpacked")
                    out.write(block)
            os.chmod(target, 0o755 if mode & 0o111 else 0o644)


@dataclass
class Member:
    name: str
    index: int  # position in the central directory
    date_time: tuple[int, int, int, int, int, int]
    mode: int  # st_mode bits from external_attr (0 when the creator stored none)
    compress_type: int
    compress_size: int
    size: int
    crc: int
    sha256: str
    create_system: int
    create_version: int
    flag_bits: int

    @property
    def is_dir(self) -> bool:
        return self.name.endswith("/")

    @property
    def is_link(self) -> bool:
        return stat.S_ISLNK(self.mode)

    @property
    def is_special(self) -> bool:
        ft = stat.S_IFMT(self.mode)
        return ft not in (0, stat.S_IFREG, stat.S_IFDIR, stat.S_IFLNK)

    @property
    def executable(self) -> bool:
        return bool(self.mode & 0o111)


@dataclass
class WheelArchive:
    path: Path
    members: dict[str, Member]  # by name (the last one wins for duplicates)
    order: list[str]
    duplicates: list[str] = field(default_factory=list)
    comment: bytes = b""
    prefix_bytes: int = 0  # data before the first local header
    trailing_bytes: int = 0  # data after the end-of-central-directory record
    problems: list[str] = field(default_factory=list)  # structural defects found while reading
    aliases: dict[str, str] = field(default_factory=dict)  # member name in this view -> name in the file
    _zf: zipfile.ZipFile | None = field(default=None, repr=False, compare=False)
    _readers: int = field(default=0, repr=False, compare=False)

    @contextlib.contextmanager
    def _opened(self, name: str):
        """One member opened for reading, from the archive opened once for this view (its central directory parsed
        once: scipy's wheels hold 1 500 members and the judge reads hundreds). At most MAX_OPEN archives stay open
        in the process; the least recently used one that no read is using is closed first."""
        with _OPEN_LOCK:
            if self._zf is None:
                self._zf = zipfile.ZipFile(self.path)
            self._readers += 1
            _OPEN[id(self)] = self
            _OPEN.move_to_end(id(self))
            for key in list(_OPEN)[:-MAX_OPEN]:
                old = _OPEN[key]
                if old._readers == 0 and old._zf is not None:
                    old._zf.close()
                    old._zf = None
                    del _OPEN[key]
            zf = self._zf
        try:
            with zf.open(self.aliases.get(name, name)) as f:
                yield f
        finally:
            with _OPEN_LOCK:
                self._readers -= 1

    def read(self, name: str, limit: int = 0) -> bytes:
        """Decompressed bytes of one member, bounded by the larger of `limit` and the run's READ_LIMIT: a member
        larger raises LimitExceeded (a bound of ours for reading into memory, not a fault of the wheel's), naming
        the option that raises it. Compare large members by sha256."""
        limit = max(limit, READ_LIMIT)
        with self._opened(name) as f:
            data = f.read(limit + 1)
        if len(data) > limit:
            raise LimitExceeded(f"member {name!r} is larger than the {limit >> 20} MiB the auditor reads into memory "
                                f"to compare it by a rule ({READ_OPTION} raises it)")
        return data

    def head(self, name: str, n: int) -> bytes:
        """The first n decompressed bytes of a member (its magic number)."""
        with self._opened(name) as f:
            return f.read(n)


MAX_OPEN = 128  # archives kept open at once (file descriptors), whatever the number of wheels a release has
_OPEN: collections.OrderedDict[int, WheelArchive] = collections.OrderedDict()
_OPEN_LOCK = threading.Lock()


_INDEX_DIR: list[Path] = []  # where wheel indexes are kept (use_index_dir); empty: none kept


def use_index_dir(directory: Path | None) -> None:
    """Keep the index read_wheel makes of each wheel in `directory` (the run's cache), by the file's identity."""
    _INDEX_DIR[:] = [directory] if directory is not None else []


@functools.cache
def _indexer_digest() -> str:
    """The code that makes an index (the reader, its name and structure checks, the member record): an index made
    by another version of it is made again; the rest of this module is not part of it."""
    h = hashlib.sha256()
    for code in (_read_wheel, _check_name, _trailing_bytes, Member):
        h.update(inspect.getsource(code).encode() + b"\0")
    h.update(" ".join(f.name for f in dataclasses.fields(WheelArchive)).encode())
    h.update(f"{BOMB_FLOOR} {BOMB_RATIO} {MAX_MEMBERS}".encode())  # the zip-bomb and member-count bounds
    return h.hexdigest()


def _index_path(path: Path) -> tuple[Path, str] | None:
    """Where the index of this very file is kept (None: no index directory), and the file's identity: its path,
    inode, size and modification time, the indexer's code and the run's bounds. A file changed or replaced since is indexed anew."""
    if not _INDEX_DIR:
        return None
    st = path.stat()
    ident = (f"{path.resolve()}\0{st.st_ino}\0{st.st_size}\0{st.st_mtime_ns}\0{_indexer_digest()}\0"
             f"{MAX_MEMBER_BYTES}\0{MAX_TOTAL_BYTES}")  # a smaller bound reads the wheel again, and may refuse it
    key = hashlib.sha256(ident.encode()).hexdigest()
    return _INDEX_DIR[0] / key[:2] / f"{key}.json", ident


def _load_index(path: Path) -> WheelArchive | None:
    where = _index_path(path)
    if where is None or not where[0].is_file():
        return None
    try:
        data = json.loads(where[0].read_text(encoding="utf-8"))
        if data.get("ident") != where[1]:
            return None
        members = {m["name"]: Member(**dict(m, date_time=tuple(m["date_time"]))) for m in data["members"]}
        return WheelArchive(path=path, members=members, order=data["order"], duplicates=data["duplicates"],
                            comment=bytes.fromhex(data["comment"]), prefix_bytes=data["prefix_bytes"],
                            trailing_bytes=data["trailing_bytes"], problems=data["problems"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _keep_index(wa: WheelArchive) -> None:
    where = _index_path(wa.path)
    if where is None:
        return
    data = {"ident": where[1], "members": [dataclasses.asdict(m) for m in wa.members.values()], "order": wa.order,
            "duplicates": wa.duplicates, "comment": wa.comment.hex(), "prefix_bytes": wa.prefix_bytes,
            "trailing_bytes": wa.trailing_bytes, "problems": wa.problems}
    try:
        where[0].parent.mkdir(parents=True, exist_ok=True)
        tmp = where[0].with_name(f".{where[0].name}.{os.getpid()}.{threading.get_ident()}")
        tmp.write_text(json.dumps(data), encoding="utf-8")
        os.replace(tmp, where[0])
    except OSError:
        pass


def read_wheel(path: Path) -> WheelArchive:
    """Index a wheel: every member's attributes and decompressed sha256, plus structural facts. With an index
    directory (use_index_dir), the index of a file already indexed is read back instead of decompressing every
    member again; one that raised (unsafe, past a bound) is never kept, so it raises again."""
    kept = _load_index(path)
    if kept is not None:
        return kept
    wa = _read_wheel(path)
    _keep_index(wa)
    return wa


def _read_wheel(path: Path) -> WheelArchive:
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise UnsafeArchive(f"{path.name}: not a readable zip archive: {exc}") from None
    with zf:
        infos = zf.infolist()
        if len(infos) > MAX_MEMBERS:
            raise UnsafeArchive(f"{path.name}: more than {MAX_MEMBERS} members")
        wa = WheelArchive(path=path, members={}, order=[], comment=zf.comment)
        seen: set[str] = set()
        total = 0
        for i, info in enumerate(infos):
            if info.filename in seen:
                wa.duplicates.append(info.filename)
            seen.add(info.filename)
            try:
                _check_name(info.filename)
            except UnsafeArchive as exc:
                wa.problems.append(str(exc))
            h = hashlib.sha256()
            size = 0
            try:
                with zf.open(info) as f:
                    while block := f.read(1 << 20):
                        size += len(block)
                        total += len(block)
                        if size > BOMB_FLOOR and size > BOMB_RATIO * max(info.compress_size, 1):
                            raise UnsafeArchive(f"{path.name}: member {info.filename!r} inflates more than "
                                                f"{BOMB_RATIO} times its compressed size past {BOMB_FLOOR >> 20} MiB "
                                                "(a zip bomb)")
                        if size > MAX_MEMBER_BYTES or total > MAX_TOTAL_BYTES:
                            raise LimitExceeded(f"{path.name}: unpacks to more than the {MAX_TOTAL_BYTES / (1 << 30):g} "
                                                "GiB the auditor unpacks of one archive", option=LIMIT_OPTION)
                        h.update(block)
            except (zipfile.BadZipFile, zlib_error(), EOFError, NotImplementedError) as exc:
                # includes "File name in directory ... and header ... differ" and CRC errors
                wa.problems.append(f"{info.filename}: {exc}")
            wa.members[info.filename] = Member(
                name=info.filename,
                index=i,
                date_time=tuple(info.date_time),  # type: ignore[arg-type]
                mode=(info.external_attr >> 16) & 0xFFFF,
                compress_type=info.compress_type,
                compress_size=info.compress_size,
                size=size,
                crc=info.CRC,
                sha256=h.hexdigest(),
                create_system=info.create_system,
                create_version=info.create_version,
                flag_bits=info.flag_bits,
            )
            wa.order.append(info.filename)
        wa.prefix_bytes = min((info.header_offset for info in infos), default=0)
        wa.trailing_bytes = _trailing_bytes(path)
    return wa


def _trailing_bytes(path: Path) -> int:
    """Bytes after the end-of-central-directory record and its comment."""
    data_len = path.stat().st_size
    with open(path, "rb") as f:
        tail_len = min(data_len, 65535 + 22)
        f.seek(data_len - tail_len)
        tail = f.read()
    pos = tail.rfind(b"PK\x05\x06")
    if pos < 0 or pos + 22 > len(tail):
        return 0
    (comment_len,) = struct.unpack("<H", tail[pos + 20 : pos + 22])
    return max(0, len(tail) - (pos + 22 + comment_len))


def extract_tar(archive: Path, dest: Path) -> None:
    """Unpack an untrusted tar archive (a crate, a wrap) into dest with the sdist's bounds and safety checks,
    every file readable by the sandbox's unprivileged user."""
    _extract_tar(archive, dest)
    _readable(dest)


_EXTENSION = re.compile(r"^(?P<stem>(?:.*/)?[^/.]+)(?:\.[^/]*)?(?:\.so(?:\.[0-9]+)*|\.pyd)$")


def extension_stem(path: str) -> str | None:
    """`pkg/_speedups` for pkg/_speedups.cpython-311-x86_64-linux-gnu.so, .cp312-win_amd64.pyd, .abi3.so…;
    None for anything that is not a Python extension module (grafted libraries included)."""
    if any(p.endswith((".libs", ".dylibs")) for p in path.split("/")[:-1]):
        return None
    m = _EXTENSION.match(path)
    return m.group("stem") if m else None
