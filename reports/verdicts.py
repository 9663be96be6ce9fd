"""Clause verdicts derived from a results file.

Each clause gets one verdict from the items that name it: pass, fail, error, expected failure,
unexpected pass, skipped (with the reason), not applicable (capability missing), blocked (a clause it
depends on fails; the failure is counted once, at the root cause) or untested. Conformance is
reported per level: ``must`` and ``compat`` separately; ``quirk`` clauses are informative only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nnconform.results import implicated, read_run
from nnconform.spec import Spec, load_spec

VERDICTS = (
    "fail",
    "error",
    "unexpected_pass",
    "blocked",
    "pass",
    "expected_failure",
    "skipped",
    "not_applicable",
    "untested",
)
FAILING = ("fail", "error")
SCORED_LEVELS = ("must", "compat")


@dataclass
class ClauseVerdict:
    id: str
    area: str
    level: str
    summary: str
    docs: str
    verdict: str
    reason: str = ""
    tests: list[dict[str, Any]] = field(default_factory=list)

    @property
    def failing_tests(self) -> list[dict[str, Any]]:
        return [t for t in self.tests if t["outcome"] in ("failed", "error")]


@dataclass
class Report:
    header: dict[str, Any]
    end: dict[str, Any] | None
    clauses: list[ClauseVerdict]
    items: list[dict[str, Any]]
    unknown_clauses: list[str]

    @property
    def partial(self) -> bool:
        """True when the run did not write its end-of-run record (killed, crashed, still running)."""
        return self.end is None

    @property
    def candidate(self) -> str:
        return str(self.header.get("candidate", "unknown"))

    def by_id(self) -> dict[str, ClauseVerdict]:
        return {c.id: c for c in self.clauses}

    def areas(self) -> list[str]:
        return list(dict.fromkeys(c.area for c in self.clauses))

    def counts(self, level: str | None = None, area: str | None = None) -> dict[str, int]:
        counts = dict.fromkeys(VERDICTS, 0)
        for c in self.clauses:
            if (level is None or c.level == level) and (area is None or c.area == area):
                counts[c.verdict] += 1
        return counts

    def conformance(self, level: str) -> tuple[int, int]:
        """(passing, applicable) clauses of a level; not-applicable clauses are left out."""
        counts = self.counts(level=level)
        applicable = sum(counts.values()) - counts["not_applicable"]
        return counts["pass"], applicable


def _item_verdict(item: dict[str, Any], cid: str) -> str | None:
    outcome = item["outcome"]
    if outcome in ("failed", "error"):
        if cid not in implicated(item):
            return None  # the failure blames another clause of this test
        return "fail" if outcome == "failed" else "error"
    return {
        "passed": "pass",
        "xfailed": "expected_failure",
        "xpassed": "unexpected_pass",
        "skipped": "skipped",
        "not_applicable": "not_applicable",
    }.get(outcome)


_PRIORITY = ("fail", "error", "unexpected_pass", "pass", "expected_failure", "skipped", "not_applicable")


def _combine(item_verdicts: list[str]) -> str:
    for verdict in _PRIORITY:
        if verdict in item_verdicts:
            return verdict
    return "untested"


def _root_failure(spec: Spec, cid: str, verdicts: dict[str, str], seen: set[str]) -> str | None:
    """The deepest failing clause that ``cid`` depends on (directly or through others), if any."""
    for dep in spec.clauses[cid].depends_on:
        if dep in seen or dep not in verdicts:
            continue
        seen.add(dep)
        deeper = _root_failure(spec, dep, verdicts, seen)
        if deeper is not None:
            return deeper
        if verdicts[dep] in FAILING:
            return dep
    return None


def build_report(
    header: dict[str, Any], end: dict[str, Any] | None, items: list[dict[str, Any]], spec: Spec
) -> Report:
    tests: dict[str, list[dict[str, Any]]] = {cid: [] for cid in spec.clauses}
    unknown: list[str] = []
    for item in items:
        for cid in item.get("clauses") or []:
            if cid in tests:
                tests[cid].append(item)
            elif cid not in unknown:
                unknown.append(cid)
    raw: dict[str, tuple[str, str]] = {}
    for cid, its in tests.items():
        per_item = [v for v in (_item_verdict(i, cid) for i in its) if v is not None]
        verdict = _combine(per_item)
        reason = ""
        if verdict in ("skipped", "not_applicable"):
            reason = next((str(i.get("failure") or "") for i in its if _item_verdict(i, cid) == verdict), "")
        lacking = sorted(set(spec.clauses[cid].requires) & set(header.get("candidate_lacks") or ()))
        if verdict == "untested" and lacking:
            # no test named it for this candidate (a clause_when_capable mark dropped it): the candidate
            # declared what it requires lacking
            verdict, reason = "not_applicable", f"candidate lacks {', '.join(lacking)}"
        raw[cid] = (verdict, reason)
    plain = {cid: v for cid, (v, _) in raw.items()}
    clauses = []
    for cid, clause in spec.clauses.items():
        verdict, reason = raw[cid]
        if verdict in FAILING:
            root = _root_failure(spec, cid, plain, set())
            if root is not None:
                verdict, reason = "blocked", f"blocked by failing clause {root}"
        clauses.append(
            ClauseVerdict(
                cid, clause.area, clause.level, clause.summary, clause.docs, verdict, reason, tests[cid]
            )
        )
    return Report(header, end, clauses, items, unknown)


def load_report(path: Path, spec: Spec | None = None) -> Report:
    header, end, items = read_run(path)
    return build_report(header, end, items, spec if spec is not None else load_spec())
