"""Loading and validating the spec: ``spec/<area>.yaml`` files of numbered clauses.

Every rule the loader enforces produces a :class:`SpecError` naming the file, the line and, where
there is one, the clause id at fault. Only the safe YAML loader is used.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from nnconform import SPEC_DIR
from nnconform.yaml_lines import LineDict, load_yaml_with_lines

LEVELS = ("must", "compat", "quirk")
AREAS = ("registration", "hooks", "state_dict", "apply", "containers", "init", "lazy")
CAPABILITIES_FILE = "capabilities.yaml"

CLAUSE_REQUIRED = ("id", "level", "summary", "symbol", "docs", "since")
CLAUSE_OPTIONAL = ("requires", "depends_on", "note")
FILE_REQUIRED = ("area", "title", "prefix", "docs_base", "clauses")
FILE_OPTIONAL = ("retired",)
RETIRED_FIELDS = ("id", "reason")

ID_PATTERN = re.compile(r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$")
VERSION_PATTERN = re.compile(r"^\d+\.\d+(\.\d+)?$")


class SpecError(ValueError):
    """A rule of the spec format is broken at ``path:line`` (in clause ``clause_id`` if known)."""

    def __init__(self, path: Path | str, line: int, message: str, clause_id: str | None = None):
        self.path = Path(path)
        self.line = line
        self.clause_id = clause_id
        self.message = message
        where = f"{_display(self.path)}:{line}"
        who = f" clause {clause_id}:" if clause_id else ""
        super().__init__(f"{where}:{who} {message}")


@dataclass(frozen=True)
class Clause:
    id: str
    area: str
    level: str
    summary: str
    symbol: str
    docs: str
    since: str
    requires: tuple[str, ...]
    depends_on: tuple[str, ...]
    note: str
    path: Path
    line: int

    @property
    def location(self) -> str:
        return f"{_display(self.path)}:{self.line}"


@dataclass(frozen=True)
class Spec:
    clauses: dict[str, Clause]
    capabilities: dict[str, str]
    retired: dict[str, str]

    def by_area(self, area: str) -> list[Clause]:
        return [c for c in self.clauses.values() if c.area == area]

    def areas(self) -> list[str]:
        return sorted({c.area for c in self.clauses.values()}, key=_area_rank)

    def requirements(self, ids: Iterable[str]) -> set[str]:
        """The capabilities the given clauses need, together."""
        return {cap for i in ids for cap in self.clauses[i].requires}


def _area_rank(area: str) -> tuple[int, str]:
    return (AREAS.index(area) if area in AREAS else len(AREAS), area)


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _parse(path: Path) -> Any:
    try:
        return load_yaml_with_lines(path.read_text(encoding="utf-8"))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise SpecError(path, line, f"invalid YAML: {exc.problem or exc}") from None
    except yaml.YAMLError as exc:
        raise SpecError(path, 1, f"invalid YAML: {exc}") from None


def load_capabilities(spec_dir: Path = SPEC_DIR) -> dict[str, str]:
    path = spec_dir / CAPABILITIES_FILE
    data = _parse(path)
    if not isinstance(data, LineDict) or set(data) != {"capabilities"}:
        raise SpecError(path, 1, "expected a single top-level key 'capabilities'")
    caps = data["capabilities"]
    if not isinstance(caps, LineDict):
        raise SpecError(path, data.line_of("capabilities"), "'capabilities' must map names to descriptions")
    for name, text in caps.items():
        if not isinstance(name, str) or not re.fullmatch(r"[a-z][a-z0-9_]*", name):
            raise SpecError(path, caps.line_of(name), f"capability name {name!r} must be snake_case")
        if not isinstance(text, str) or not text.strip():
            raise SpecError(path, caps.line_of(name), f"capability {name!r} needs a description")
    return dict(caps)


def _check_fields(
    path: Path,
    node: LineDict,
    required: tuple[str, ...],
    optional: tuple[str, ...],
    what: str,
    clause_id: str | None = None,
) -> None:
    for key in node:
        if key not in required and key not in optional:
            allowed = ", ".join(required + optional)
            raise SpecError(
                path, node.line_of(key), f"unknown field {key!r} in {what} (allowed: {allowed})", clause_id
            )
    for key in required:
        if key not in node:
            raise SpecError(path, node.line, f"missing field {key!r} in {what}", clause_id)


def _text(path: Path, node: LineDict, key: str, clause_id: str | None) -> str:
    value = node[key]
    if not isinstance(value, str) or not value.strip():
        hint = " (quote version numbers: 1.10 unquoted reads as 1.1)" if key == "since" else ""
        raise SpecError(path, node.line_of(key), f"field {key!r} must be a non-empty string{hint}", clause_id)
    return value.strip()


def _id_list(path: Path, node: LineDict, key: str, clause_id: str) -> tuple[str, ...]:
    value = node.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise SpecError(path, node.line_of(key), f"field {key!r} must be a list of strings", clause_id)
    if len(set(value)) != len(value):
        raise SpecError(path, node.line_of(key), f"field {key!r} lists an entry twice", clause_id)
    return tuple(value)


def _load_area(path: Path, capabilities: dict[str, str]) -> tuple[list[Clause], dict[str, tuple[str, int]]]:
    data = _parse(path)
    if not isinstance(data, LineDict):
        raise SpecError(path, 1, "an area file must be a mapping with " + ", ".join(FILE_REQUIRED))
    _check_fields(path, data, FILE_REQUIRED, FILE_OPTIONAL, "the area header")
    area = _text(path, data, "area", None)
    if area != path.stem:
        raise SpecError(path, data.line_of("area"), f"area {area!r} must match the file name {path.stem!r}")
    if area not in AREAS:
        raise SpecError(path, data.line_of("area"), f"unknown area {area!r} (known: {', '.join(AREAS)})")
    prefix = _text(path, data, "prefix", None)
    docs_base = _text(path, data, "docs_base", None)
    _text(path, data, "title", None)
    entries = data["clauses"]
    if not isinstance(entries, list) or not entries:
        raise SpecError(path, data.line_of("clauses"), "'clauses' must be a non-empty list")

    retired: dict[str, tuple[str, int]] = {}
    for entry in data.get("retired", []) or []:
        if not isinstance(entry, LineDict):
            raise SpecError(path, data.line_of("retired"), "each retired entry must be a mapping")
        _check_fields(path, entry, RETIRED_FIELDS, (), "a retired entry")
        retired[_text(path, entry, "id", None)] = (_text(path, entry, "reason", None), entry.line)

    clauses = []
    for entry in entries:
        if not isinstance(entry, LineDict):
            raise SpecError(path, data.line_of("clauses"), "each clause must be a mapping")
        raw_id = entry.get("id")
        clause_id = raw_id if isinstance(raw_id, str) else None
        _check_fields(path, entry, CLAUSE_REQUIRED, CLAUSE_OPTIONAL, "a clause", clause_id)
        clause_id = _text(path, entry, "id", None)
        if not ID_PATTERN.match(clause_id):
            raise SpecError(
                path,
                entry.line_of("id"),
                "id must be upper-case words joined by '-', like REG-PARAM-NONE",
                clause_id,
            )
        if not clause_id.startswith(prefix + "-"):
            raise SpecError(
                path, entry.line_of("id"), f"id must start with the area prefix {prefix}-", clause_id
            )
        if clause_id in retired:
            raise SpecError(path, entry.line_of("id"), "id is retired and may not be reused", clause_id)
        level = entry["level"]
        if level not in LEVELS:
            raise SpecError(
                path, entry.line_of("level"), f"level {level!r} is not one of {', '.join(LEVELS)}", clause_id
            )
        since = _text(path, entry, "since", clause_id)
        if not VERSION_PATTERN.match(since):
            raise SpecError(
                path, entry.line_of("since"), f"since {since!r} is not a version like '2.5'", clause_id
            )
        requires = _id_list(path, entry, "requires", clause_id)
        for cap in requires:
            if cap not in capabilities:
                raise SpecError(
                    path,
                    entry.line_of("requires"),
                    f"unknown capability {cap!r} (declare it in spec/{CAPABILITIES_FILE})",
                    clause_id,
                )
        docs = _text(path, entry, "docs", clause_id)
        note = entry.get("note", "")
        if not isinstance(note, str):
            raise SpecError(path, entry.line_of("note"), "field 'note' must be a string", clause_id)
        clauses.append(
            Clause(
                id=clause_id,
                area=area,
                level=level,
                summary=_text(path, entry, "summary", clause_id),
                symbol=_text(path, entry, "symbol", clause_id),
                docs=docs if docs.startswith("https://") else docs_base.rstrip("/") + "/" + docs,
                since=since,
                requires=requires,
                depends_on=_id_list(path, entry, "depends_on", clause_id),
                note=note.strip(),
                path=path,
                line=entry.line,
            )
        )
    return clauses, retired


def load_spec(spec_dir: Path = SPEC_DIR) -> Spec:
    """Load and validate every area file in ``spec_dir``; raise SpecError at the first broken rule."""
    capabilities = load_capabilities(spec_dir)
    clauses: dict[str, Clause] = {}
    retired: dict[str, str] = {}
    for path in sorted(spec_dir.glob("*.yaml")):
        if path.name == CAPABILITIES_FILE:
            continue
        area_clauses, area_retired = _load_area(path, capabilities)
        for clause in area_clauses:
            if clause.id in clauses:
                first = clauses[clause.id]
                raise SpecError(
                    path, clause.line, f"duplicate id, first defined at {first.location}", clause.id
                )
            clauses[clause.id] = clause
        retired.update({k: v[0] for k, v in area_retired.items()})
    for clause in clauses.values():
        if clause.id in retired:
            raise SpecError(clause.path, clause.line, "id is retired in another area file", clause.id)
        for dep in clause.depends_on:
            if dep == clause.id:
                raise SpecError(clause.path, clause.line, "a clause cannot depend on itself", clause.id)
            if dep not in clauses:
                raise SpecError(clause.path, clause.line, f"depends_on names unknown clause {dep}", clause.id)
    _reject_cycles(clauses)
    return Spec(clauses=clauses, capabilities=capabilities, retired=retired)


def _reject_cycles(clauses: dict[str, Clause]) -> None:
    state: dict[str, int] = {}  # 1: on the current path, 2: finished

    def visit(cid: str, trail: list[str]) -> None:
        if state.get(cid) == 2:
            return
        if state.get(cid) == 1:
            loop = " -> ".join(trail[trail.index(cid) :] + [cid])
            clause = clauses[cid]
            raise SpecError(clause.path, clause.line, f"depends_on forms a cycle: {loop}", cid)
        state[cid] = 1
        for dep in clauses[cid].depends_on:
            visit(dep, trail + [cid])
        state[cid] = 2

    for cid in clauses:
        visit(cid, [])
