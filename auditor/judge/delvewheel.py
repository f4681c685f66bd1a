"""delvewheel's output in a Windows wheel (accepted only in the exact shapes delvewheel writes): the patch block it
inserts into a package's .py to add its grafted libraries to the DLL search path, and its NAME.dist-info/DELVEWHEEL
record."""

from __future__ import annotations

import ast
import re

from auditor.fetch.archives import WheelArchive


_DELVE_BLOCK = re.compile(r'(?:"""""" )?# start delvewheel patch\n.*?# end delvewheel patch\n?', re.S)
_DELVE_NAME = re.compile(r"^_delvewheel_patch_([0-9a-zA-Z_]+)$")
# What a delvewheel patch may do (every template of its history): add its .libs/ directory to the DLL
# search path, or read its load-order file and preload the DLLs listed there.
_DELVE_CALLS = {"os.path.abspath", "os.path.join", "os.path.dirname", "os.path.isdir", "os.path.isfile",
                "os.add_dll_directory", "platform.python_implementation", "hasattr", "open", "file.read",
                "file.read().split", "ctypes.WinDLL", "kernel32.LoadLibraryExW", "ctypes.windll.kernel32.LoadLibraryExW",
                "ctypes.c_wchar_p", "ctypes.FormatError", "ctypes.get_last_error", "OSError", "str.format"}
_DELVE_STRINGS = {"kernel32", "CPython", "Anaconda_GetVersion", "packaged by conda-forge", "Error loading {}; {}", ""}
_DELVE_IMPORTS = {"ctypes", "ctypes.wintypes", "os", "platform", "sys"}
_DELVE_NODES = (ast.Import, ast.alias, ast.Assign, ast.If, ast.With, ast.withitem, ast.For, ast.Raise, ast.Expr,
                ast.Call, ast.keyword, ast.Compare, ast.BoolOp, ast.UnaryOp, ast.NamedExpr, ast.Attribute, ast.Name,
                ast.Constant, ast.Tuple, ast.Subscript, ast.Slice, ast.arguments, ast.expr_context, ast.boolop,
                ast.cmpop, ast.unaryop)


def delvewheel_patch(text: str, wa: WheelArchive) -> tuple[str, str, str, str] | None:
    """(text before the block, text after it, delvewheel's id, the .libs directory) when `text` holds one
    block in the shape delvewheel writes; None otherwise (any other code in it: not delvewheel's)."""
    blocks = list(_DELVE_BLOCK.finditer(text))
    if len(blocks) != 1:
        return None
    m = blocks[0]
    src = m.group(0).removeprefix('"""""" ')
    try:
        body = ast.parse(src).body
    except SyntaxError:
        return None
    if len(body) != 3 or not isinstance(body[0], ast.FunctionDef) or body[0].decorator_list:
        return None
    fn = body[0].name
    ident = _DELVE_NAME.match(fn)
    call, delete = body[1], body[2]
    if (not ident or not (isinstance(call, ast.Expr) and isinstance(call.value, ast.Call)
                          and isinstance(call.value.func, ast.Name) and call.value.func.id == fn
                          and not call.value.args and not call.value.keywords)
            or not (isinstance(delete, ast.Delete) and len(delete.targets) == 1
                    and isinstance(delete.targets[0], ast.Name) and delete.targets[0].id == fn)):
        return None
    libs = None
    for n in ast.walk(body[0]):
        if n is body[0]:
            continue
        if not isinstance(n, _DELVE_NODES):
            return None
        if isinstance(n, ast.Import) and any(a.name not in _DELVE_IMPORTS or a.asname for a in n.names):
            return None
        if isinstance(getattr(n, "ctx", None), ast.Store) and not isinstance(n, ast.Name) and not (  # sys.path[:0] =
                isinstance(n, ast.Attribute) and n.attr in ("restype", "argtypes")):  # kernel32's prototypes only
            return None
        if isinstance(n, ast.Call):
            f = n.func
            called = ("str.format" if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Constant)
                      and f.attr == "format" else ast.unparse(f))
            if called not in _DELVE_CALLS:
                return None
        if isinstance(n, ast.Constant):
            v = n.value
            if isinstance(v, str) and ((v.endswith(".libs") and "/" not in v and "\\" not in v)
                                       or (v == "." and _platlib_dlls(wa))):
                if libs not in (None, v):
                    return None
                libs = v
            elif isinstance(v, str) and not (v in _DELVE_STRINGS or re.fullmatch(r"\.load[-_]order[-_][\w.-]+", v)):
                return None
            elif not isinstance(v, (str, int, type(None))):
                return None
    if libs is None or not (libs == "." or any(k.startswith(libs + "/") for k in wa.members)):
        return None
    return text[: m.start()], text[m.end():], ident.group(1).replace("_", "."), libs


_PLATLIB_DLL = re.compile(r"^[^/]+\.data/platlib/[^/]+\.dll$", re.I)


def _platlib_dlls(wa: WheelArchive) -> bool:
    """delvewheel 1.12 grafts a top-level module's DLLs into NAME.data/platlib/ (installed beside it in site-packages)
    and its patch adds `os.path.join(os.path.dirname(__file__), os.pardir, '.')`, site-packages, to the DLL search path
    (pycurl 7.46.0's Windows wheels)."""
    return any(_PLATLIB_DLL.match(k) for k in wa.members)


_DELVE_RECORD = re.compile(r"^[^/]+\.dist-info/DELVEWHEEL$")


def delvewheel_record(name: str, wa: WheelArchive) -> str | None:
    """`delvewheel X record (…)` when `name` is the NAME.dist-info/DELVEWHEEL file delvewheel writes (a
    `Version:` line, then at most its `Arguments:` line) in a wheel that grafts a .libs directory."""
    if not _DELVE_RECORD.match(name) or not (any(k.split("/", 1)[0].endswith(".libs") and "/" in k for k in wa.members)
                                             or _platlib_dlls(wa)):
        return None
    try:
        lines = wa.read(name, limit=1 << 16).decode("utf-8").splitlines()
    except Exception:
        return None
    if not lines or not re.fullmatch(r"Version: [\w.+-]+", lines[0]) or any(
            not ln.startswith("Arguments: [") for ln in lines[1:] if ln.strip()):
        return None
    return f"delvewheel {lines[0].split(': ', 1)[1]} record ({name.split('/', 1)[1]})"
