"""The machine-readable JSON summary of clause verdicts, written next to the HTML report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from reports.verdicts import SCORED_LEVELS, Report


def summary(report: Report) -> dict[str, Any]:
    levels = {}
    for level in SCORED_LEVELS:
        passing, applicable = report.conformance(level)
        levels[level] = {"pass": passing, "applicable": applicable, "counts": report.counts(level=level)}
    return {
        "candidate": report.header,
        "partial": report.partial,
        "end": report.end,
        "conformance": levels,
        "informative": {"quirk": report.counts(level="quirk")},
        "areas": {area: report.counts(area=area) for area in report.areas()},
        "unknown_clauses": report.unknown_clauses,
        "clauses": {
            c.id: {
                "area": c.area,
                "level": c.level,
                "verdict": c.verdict,
                "reason": c.reason,
                "tests": {t["nodeid"]: t["outcome"] for t in c.tests},
            }
            for c in report.clauses
        },
    }


def write_summary(report: Report, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(summary(report), indent=1, sort_keys=True, default=str) + "\n", "utf-8")
    return path
