"""Widen one registered rule to accept everything (tests/test_mutations.py sets AUDITOR_ACCEPT_ALL=RULE for a pytest
run of that rule's attacker twins; tests/conftest.py calls accept_everything before any test). A rule whose widening
no twin notices is a rule that can widen unnoticed.

How a rule is widened depends on where the engine runs it:
- a rule with a check (judge/checks.py, sourcerepo/checks.py, run by profiles.first): its check accounts for every
  member it is asked about, recording nothing;
- a rule a function decides (MUTATIONS below): that function says yes to everything it is asked.
Rules that neither can widen yet are listed by mutable() as such: tests/test_mutations.py says how many.
"""

from __future__ import annotations

from collections.abc import Callable

from auditor import sourcerepo
from auditor.judge import checks, interface, members, metasteps, profiles, sources, unbuilt
from auditor.judge.registry import BY_NAME

# every import the rebuild lacks set aside under the rule (what a widened toolchain rule would do)
_IMPORT_RULES = ("compiler-runtime", "compiler-builtins", "math-library", "cxx-runtime", "getrandom-fallback",
                 "python-c-api", "glibc-symbol-aliases", "glibc-legacy-aliases")


def _any_import(rule: str) -> Callable:
    return lambda *args, **kwargs: rule


def _every_library(rule: str) -> Callable:
    def compare_libraries(pub, reb, out, wheel_members, module=None):
        out.rules.add(rule)
    return compare_libraries


def _every_string(rule: str) -> Callable:
    def compare_strings(pub, reb, out, static, lib=None):
        out.rules.add(rule)
    return compare_strings


def _every_grafted(rule: str) -> Callable:
    def grafted_imports(rest, grafted, out):
        out.rules.add(rule)
        return []
    return grafted_imports


def _every_static(rule: str) -> Callable:
    def static_imports(extra, static, lib, out):
        out.rules.add(rule)
        return []
    return static_imports


def _always(*args, **kwargs) -> bool:
    return True


def _record_true(rule: str) -> Callable:
    def judge_record(pub, reb, name, out, named=True):
        out.normalizations.append(rule)
        return True
    return judge_record


def _same_dist_info(rule: str) -> Callable:
    def align_dist_info(pub, reb, out):
        out.normalizations.append(rule)
        return pub  # every member's dist-info name taken as the rebuild's
    return align_dist_info


def _pair_all(rule: str) -> Callable:
    def pair(pub, reb, pub_only, reb_only, out, crlf_ok=False):
        out.normalizations.append(rule)
        return set(pub_only)  # every member on one side only taken as moved or renamed
    return pair


def _same_metadata(rule: str) -> Callable:
    from auditor.judge.metadata import MetaComparison

    return lambda a, b: MetaComparison(True, spellings=["METADATA (widened)"])


def _not_read(rule: str) -> Callable:
    from auditor.judge.diffs import not_read

    def over_read_limit(out, name, size):
        not_read(out, name, "widened: every member past the read bound")
        return True
    return over_read_limit


def _sbom_same(rule: str) -> Callable:
    def project_sbom(pub, reb, name, out):
        out.normalizations.append(rule)
        out.members_verified += 1
        return True
    return project_sbom


# rule -> (module, attribute, the widened replacement made from the rule's name)
MUTATIONS: dict[str, tuple[object, str, Callable[[str], Callable]]] = {
    **{r: (interface, "_toolchain_rule", _any_import) for r in _IMPORT_RULES},
    **{r: (interface, "_compare_libraries", _every_library) for r in ("glibc-merged-libraries", "system-libraries",
                                                                         "grafted-library-needed", "auditwheel-rpath")},
    "dotted-number-string": (interface, "_compare_strings", _every_string),
    # every import the same function as one the rebuild imports (its FORTIFY variant), at any version of glibc's
    "fortify-source": (interface, "_same_function", lambda rule: _always),
    "glibc-symbol-versions": (interface, "_glibc_versions", lambda rule: _always),
    # every import left is a grafted library's, every extra import the statically linked library's
    **{r: (interface, "_grafted_imports", _every_grafted) for r in ("grafted-library-version", "optional-library")},
    "static-library": (interface, "_static_imports", _every_static),
    # every URL string the compiler's, or on the statically linked library's hosts
    "compiler-identification": (interface, "_compiler_url", lambda rule: _always),
    "library-url-hosts": (interface, "_library_url", lambda rule: _always),
    "entry-point-python-version": (metasteps, "entry_points_python_version", lambda rule: _always),
    # every published extension module accounted for by a source of the sdist
    "optional-extension": (members, "accounted_member", lambda rule: _always),
    # every requirement named in setup.py (so chosen by the platform)
    "platform-chosen-extras": (metasteps, "_named_in_setup_py", lambda rule: _always),
    # RECORD true whatever it says, on the sources path (whose Windows separators are this rule's) and the rebuilt
    "record-path-separators": (unbuilt, "record_problem", lambda rule: lambda wa: None),
    "record-rows": (members, "judge_record", _record_true),
    # every script the sdist's whatever its bytes
    "script-shebang": (sources, "same_script", lambda rule: _always),
    # every .git file a submodule's pointer
    "submodule-gitdir-file": (sourcerepo.rules, "gitdir_file", lambda rule: _always),
    "dist-info-name": (members, "align_dist_info", _same_dist_info),
    # every member on one side only a moved license, a renamed namespace .pth
    "license-file-location": (members, "moved_licenses", _pair_all),
    "nspkg-pth-python-version": (members, "renamed_nspkg", _pair_all),
    # every METADATA the rebuild's, spelled another way
    "metadata-format": (metasteps, "compare_metadata", _same_metadata),
    "sbom-same-components": (checks, "_project_sbom", _sbom_same),
}


# rule -> (the modules that import the deciding function by name, its name, the widened replacement)
EVERYWHERE: dict[str, tuple[tuple[object, ...], str, Callable[[str], Callable]]] = {
    # every published member past the read bound: none judged
    "read-limit": ((members, sources, unbuilt), "over_read_limit", _not_read),
}


def mutable(rule: str) -> bool:
    r = BY_NAME[rule]
    return r.check or rule in MUTATIONS or rule in EVERYWHERE


def accept_everything(rule: str) -> None:
    """Widen `rule` in this process (a pytest run's configure step)."""
    if rule not in BY_NAME or not mutable(rule):
        raise SystemExit(f"no way to widen {rule!r}: neither a check nor in tests/mutations.MUTATIONS")
    if BY_NAME[rule].check:
        original = profiles.first

        def first(steps, case):
            for name, check in steps:
                if name == rule or check(case):
                    return name
            return None

        profiles.first = first  # type: ignore[assignment]
        assert original is not first
        return
    if rule in EVERYWHERE:  # a function the judge's modules import by name: widened in each
        for module in EVERYWHERE[rule][0]:
            setattr(module, EVERYWHERE[rule][1], EVERYWHERE[rule][2](rule))
        return
    module, attribute, make = MUTATIONS[rule]
    setattr(module, attribute, make(rule))
