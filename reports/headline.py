"""The headline table of several candidates' results: version, must and compat conformance, and the
clauses behind the failures, as Markdown (for the README and reports/published/)."""

from __future__ import annotations

from dataclasses import dataclass

from reports.verdicts import FAILING, Report


@dataclass(frozen=True)
class HeadlineRow:
    candidate: str
    version: str
    must: tuple[int, int]  # (passing, applicable)
    compat: tuple[int, int]
    not_applicable: int
    failing_must: list[str]
    failing: list[str]  # every failing clause (must first, then compat, then quirk)
    blocked: int  # clauses not judged because a clause they depend on fails
    partial: bool


def headline_row(report: Report) -> HeadlineRow:
    order = {"must": 0, "compat": 1}
    failing = sorted((c for c in report.clauses if c.verdict in FAILING), key=lambda c: order.get(c.level, 2))
    return HeadlineRow(
        candidate=report.candidate,
        version=str(report.header.get("candidate_version", "?")),
        must=report.conformance("must"),
        compat=report.conformance("compat"),
        not_applicable=sum(1 for c in report.clauses if c.verdict == "not_applicable"),
        failing_must=[c.id for c in failing if c.level == "must"],
        failing=[c.id for c in failing],
        blocked=sum(1 for c in report.clauses if c.verdict == "blocked"),
        partial=report.partial,
    )


def _ratio(passing: int, applicable: int) -> str:
    if applicable == 0:
        return "n/a (0 applicable)"
    return f"{passing}/{applicable} ({100 * passing / applicable:.1f}%)"


def _deviations(row: HeadlineRow, most: int = 4) -> str:
    if not row.failing:
        return "none"
    shown = ", ".join(row.failing[:most])
    more = f" and {len(row.failing) - most} more" if len(row.failing) > most else ""
    blocked = f"; {row.blocked} blocked by them" if row.blocked else ""
    return f"{shown}{more}{blocked}"


def markdown_table(rows: list[HeadlineRow]) -> str:
    lines = [
        "| candidate | version | must | compat | not applicable | failing clauses |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        name = f"`{r.candidate}`" + (" (partial run)" if r.partial else "")
        lines.append(
            f"| {name} | {r.version} | {_ratio(*r.must)} | {_ratio(*r.compat)} | {r.not_applicable} "
            f"| {_deviations(r)} |"
        )
    return "\n".join(lines) + "\n"
