"""The one class table (judge/classes.toml), loaded and validated once: what a difference in a wheel's
member, an sdist's file, a METADATA field or a WHEEL field could do once installed. Every judging path
(the rebuild comparison, other platforms, the sources check, the sdist against its repository) asks here.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

CLASSES = ("code", "metadata", "packaging")  # most dangerous first


class ClassTableError(ValueError):
    """judge/classes.toml is not a valid class table (raised when it is loaded)."""


@dataclass(frozen=True)
class ClassRule:
    pattern: re.Pattern[str]
    cls: str
    why: str


@dataclass(frozen=True)
class ClassTable:
    wheel: tuple[ClassRule, ...]
    sdist: tuple[ClassRule, ...]
    code_fields: frozenset[str]
    toolchain_fields: frozenset[str]
    field_default: str
    wheel_code_fields: frozenset[str]
    wheel_field_default: str
    exec_bit: tuple[ClassRule, ...] = ()

    def member(self, path: str) -> str:
        return _first(self.wheel, path)

    def exec_bit_of(self, path: str) -> str:
        """The class of an exec bit set or unset on a member whose content is the other side's."""
        return _first(self.exec_bit, path)

    def sdist_file(self, path: str, executable: bool = False) -> str:
        if executable:
            return "code"
        cls = _first(self.sdist, path)
        return self.member(path) if cls == "wheel" else cls

    def field(self, key: str) -> str:
        """A METADATA field by packaging.metadata's raw name (requires_dist) or its header (Requires-Dist)."""
        raw = key.lower().replace("-", "_")
        if raw in self.code_fields:
            return "code"
        return self.field_default

    def wheel_field(self, key: str) -> str:
        return "code" if key in self.wheel_code_fields else self.wheel_field_default


def _first(rules: tuple[ClassRule, ...], path: str) -> str:
    for rule in rules:
        if rule.pattern.search(path):
            return rule.cls
    raise AssertionError("unreachable: a validated table ends with a catch-all rule")


def _cls(value: Any, where: str) -> str:
    if value not in CLASSES:
        raise ClassTableError(f"classes.toml: {where}: class {value!r} is not one of {', '.join(CLASSES)}")
    return value


def _rules(data: dict, section: str, extra: tuple[str, ...] = ()) -> tuple[ClassRule, ...]:
    items = data.get(section)
    if not isinstance(items, list) or not items:
        raise ClassTableError(f"classes.toml: [[{section}]] rules are missing")
    out = []
    for i, item in enumerate(items, 1):
        where = f"[[{section}]] #{i}"
        if not isinstance(item, dict) or set(item) != {"pattern", "class", "why"}:
            raise ClassTableError(f"classes.toml: {where}: needs exactly pattern, class and why")
        if not str(item["why"]).strip():
            raise ClassTableError(f"classes.toml: {where}: why is empty")
        try:
            pattern = re.compile(str(item["pattern"]))
        except re.error as exc:
            raise ClassTableError(f"classes.toml: {where}: pattern does not compile: {exc}") from None
        cls = item["class"] if item["class"] in extra else _cls(item["class"], where)
        out.append(ClassRule(pattern, cls, str(item["why"])))
    if out[-1].pattern.pattern != "":
        raise ClassTableError(f"classes.toml: the last [[{section}]] rule must match everything (pattern = '')")
    return tuple(out)


def _names(table: dict, key: str, where: str) -> frozenset[str]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ClassTableError(f"classes.toml: [{where}] {key} must be a list of names")
    return frozenset(value)


def parse(text: str) -> ClassTable:
    """A class table from the text of a classes.toml, validated (ClassTableError names what is wrong)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ClassTableError(f"classes.toml: {exc}") from None
    fields, wheel_fields = data.get("fields") or {}, data.get("wheel_fields") or {}
    code, toolchain = _names(fields, "code", "fields"), _names(fields, "toolchain", "fields")
    if code & toolchain:
        raise ClassTableError(f"classes.toml: [fields] {', '.join(sorted(code & toolchain))} both code and toolchain")
    return ClassTable(wheel=_rules(data, "wheel"), sdist=_rules(data, "sdist", extra=("wheel",)), code_fields=code,
                      toolchain_fields=toolchain, field_default=_cls(fields.get("default"), "[fields] default"),
                      wheel_code_fields=_names(wheel_fields, "code", "wheel_fields"),
                      wheel_field_default=_cls(wheel_fields.get("default"), "[wheel_fields] default"),
                      exec_bit=_rules(data, "exec_bit"))


@cache
def table() -> ClassTable:
    return parse(resources.files("auditor.judge").joinpath("classes.toml").read_text(encoding="utf-8"))


def member_class(path: str) -> str:
    """code | metadata | packaging for a member of a wheel that differs (judge/classes.toml)."""
    return table().member(path)


def sdist_class(path: str, executable: bool = False) -> str:
    """code | metadata | packaging for a file of an sdist (what the build compiles, runs or reads is code)."""
    return table().sdist_file(path, executable)


def exec_bit_class(path: str) -> str:
    """code | packaging for a member whose exec bit differs (judge/classes.toml [[exec_bit]])."""
    return table().exec_bit_of(path)


def field_class(key: str) -> str:
    """code | metadata for a METADATA field."""
    return table().field(key)


def is_toolchain_field(key: str) -> bool:
    return key.lower().replace("-", "_") in table().toolchain_fields


def wheel_field_class(key: str) -> str:
    return table().wheel_field(key)


def worst(classes) -> str:
    """The most dangerous of some classes (code when none is given)."""
    found = set(classes)
    return next((c for c in CLASSES if c in found), "code")
