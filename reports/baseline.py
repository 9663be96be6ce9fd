"""The baseline of expected failures and the gate that checks a run against it.

A baseline is a YAML file::

    candidate: myfork          # informative
    expected_failures:
      - id: reg-named-modules-dedup       # a clause id or a test node id
        reason: our fork keeps duplicates on purpose
        link: https://example.org/issue/12   # optional

The gate fails (non-zero) on every failing clause no entry covers (a new failure) and on every entry
whose clause or test now passes (an unexpected pass: the baseline is stale). Entries that match nothing
in the run are reported. Quirk failures never fail the gate but are listed. Nothing is ignored
silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from reports.verdicts import FAILING, Report


class BaselineError(ValueError):
    pass


@dataclass(frozen=True)
class Entry:
    id: str
    reason: str
    link: str = ""


@dataclass
class GateResult:
    new_failures: list[str] = field(default_factory=list)
    unexpected_passes: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    expected: list[str] = field(default_factory=list)
    informative: list[str] = field(default_factory=list)
    partial: bool = False

    @property
    def ok(self) -> bool:
        return not self.new_failures and not self.unexpected_passes

    def lines(self) -> list[str]:
        out = []
        if self.partial:
            out.append("warning: partial run (no end-of-run record); gating only what finished")
        out += [f"NEW FAILURE: {x}" for x in self.new_failures]
        out += [f"UNEXPECTED PASS (baseline is stale, remove the entry): {x}" for x in self.unexpected_passes]
        out += [f"baseline entry matches nothing in this run: {x}" for x in self.stale]
        out += [f"expected failure (baseline): {x}" for x in self.expected]
        out += [f"quirk failure (informative, not gated): {x}" for x in self.informative]
        verdict = "passed" if self.ok else "FAILED"
        out.append(
            f"gate {verdict}: {len(self.new_failures)} new failures, {len(self.unexpected_passes)} "
            f"unexpected passes, {len(self.stale)} unmatched baseline entries, {len(self.expected)} "
            "expected failures"
        )
        return out


def load_baseline(path: Path) -> list[Entry]:
    if not path.exists():
        return []
    data: Any = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    entries = data.get("expected_failures") if isinstance(data, dict) else None
    if entries is None:
        entries = []
    if not isinstance(entries, list):
        raise BaselineError(f"{path}: expected_failures must be a list")
    out = []
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict) or not entry.get("id") or not entry.get("reason"):
            raise BaselineError(f"{path}: entry {i + 1} needs an id and a reason")
        out.append(Entry(str(entry["id"]), str(entry["reason"]), str(entry.get("link") or "")))
    return out


def gate(report: Report, entries: list[Entry]) -> GateResult:
    result = GateResult(partial=report.partial)
    clauses = report.by_id()
    items = {i["nodeid"]: i for i in report.items}
    covered_tests = {e.id for e in entries if e.id in items}
    covered_clauses = {e.id for e in entries if e.id in clauses}
    for clause in report.clauses:
        if clause.verdict == "unexpected_pass":
            result.unexpected_passes.append(f"{clause.id} (a test marked xfail passed)")
        if clause.verdict not in FAILING:
            continue
        uncovered = [t["nodeid"] for t in clause.failing_tests if t["nodeid"] not in covered_tests]
        if clause.level == "quirk":
            result.informative.append(clause.id)
        elif clause.id in covered_clauses or not uncovered:
            result.expected.append(clause.id)
        else:
            result.new_failures.append(f"{clause.id} ({clause.level}): failing {', '.join(uncovered)}")
    for entry in entries:
        if entry.id in clauses:
            verdict = clauses[entry.id].verdict
            if verdict in ("pass", "unexpected_pass"):
                result.unexpected_passes.append(f"{entry.id} (clause now passes; baseline: {entry.reason})")
            elif verdict not in (*FAILING, "blocked"):
                result.stale.append(f"{entry.id} (clause is {verdict.replace('_', ' ')} in this run)")
        elif entry.id in items:
            if items[entry.id]["outcome"] in ("passed", "xpassed"):
                result.unexpected_passes.append(f"{entry.id} (test now passes; baseline: {entry.reason})")
            elif items[entry.id]["outcome"] not in ("failed", "error"):
                result.stale.append(f"{entry.id} (test is {items[entry.id]['outcome']} in this run)")
        else:
            result.stale.append(f"{entry.id} (no such clause or test in this run)")
    return result


def rewrite_baseline(report: Report, path: Path, previous: list[Entry] | None = None) -> list[Entry]:
    """Write a baseline listing every failing must/compat clause of ``report`` (root causes only).

    Reasons and links of entries that still apply are kept; new entries get a reason to edit.
    """
    old = {e.id: e for e in previous or []}
    entries = [
        old.get(c.id)
        or Entry(c.id, f"fails on {report.candidate} {report.header.get('candidate_version', '')}; explain")
        for c in report.clauses
        if c.verdict in FAILING and c.level != "quirk"
    ]
    data = {
        "candidate": report.candidate,
        "expected_failures": [
            {"id": e.id, "reason": e.reason, **({"link": e.link} if e.link else {})} for e in entries
        ],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "# nnconform baseline: expected failures (clause or test ids), each with a reason\n"
        + yaml.safe_dump(data, sort_keys=False, width=110),
        encoding="utf-8",
    )
    return entries
