"""Several results files side by side: a clause-by-candidate matrix, and the diff of two runs."""

from __future__ import annotations

from dataclasses import dataclass, field

from reports.html import COLOURS, CSS, esc
from reports.verdicts import FAILING, Report


def _name(report: Report, index: int) -> str:
    return f"{report.candidate} [{index + 1}]"


def matrix(reports: list[Report]) -> tuple[list[str], list[tuple[str, str, list[str]]]]:
    """Column names and rows (clause id, level, verdict per report) over every clause of any report."""
    names = [_name(r, i) for i, r in enumerate(reports)]
    ids: dict[str, str] = {}
    for r in reports:
        for c in r.clauses:
            ids.setdefault(c.id, c.level)
    lookups = [r.by_id() for r in reports]
    rows = [
        (cid, level, [lk[cid].verdict if cid in lk else "-" for lk in lookups]) for cid, level in ids.items()
    ]
    return names, rows


def matrix_text(reports: list[Report], only_differences: bool = False) -> str:
    names, rows = matrix(reports)
    if only_differences:
        rows = [r for r in rows if len(set(r[2])) > 1]
    width = max([len(r[0]) for r in rows] + [5])
    cols = [max(len(n), 16) for n in names]
    lines = [
        f"{'clause':<{width}}  {'level':<6}  "
        + "  ".join(f"{n:<{w}}" for n, w in zip(names, cols, strict=True))
    ]
    for cid, level, verdicts in rows:
        lines.append(
            f"{cid:<{width}}  {level:<6}  "
            + "  ".join(f"{v:<{w}}" for v, w in zip(verdicts, cols, strict=True))
        )
    return "\n".join(lines)


def matrix_html(reports: list[Report]) -> str:
    names, rows = matrix(reports)
    head = "".join(f"<th>{esc(n)}</th>" for n in names)
    body = "".join(
        f"<tr><td><code>{esc(cid)}</code></td><td>{esc(level)}</td>"
        + "".join(
            f'<td style="color:{COLOURS.get(v, "#000")}" class="v">{esc(v.replace("_", " "))}</td>'
            for v in verdicts
        )
        + "</tr>"
        for cid, level, verdicts in rows
    )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>nnconform comparison</title>'
        f"<style>{CSS}</style></head><body><h1>nnconform comparison</h1>"
        f"<table><thead><tr><th>clause</th><th>level</th>{head}</tr></thead><tbody>{body}</tbody></table>"
        "</body></html>\n"
    )


@dataclass
class Diff:
    new_failures: list[str] = field(default_factory=list)
    new_passes: list[str] = field(default_factory=list)
    changed_skips: list[str] = field(default_factory=list)
    other_changes: list[str] = field(default_factory=list)

    def text(self) -> str:
        out = []
        for title, values in (
            ("new failures", self.new_failures),
            ("new passes", self.new_passes),
            ("changed skips", self.changed_skips),
            ("other changes", self.other_changes),
        ):
            out.append(f"{title} ({len(values)}):")
            out += [f"  {v}" for v in values]
        return "\n".join(out)


_SKIPS = ("skipped", "not_applicable")


def diff(old: Report, new: Report) -> Diff:
    result = Diff()
    before = old.by_id()
    for c in new.clauses:
        was = before[c.id].verdict if c.id in before else "untested"
        now = c.verdict
        if was == now and (now not in _SKIPS or before[c.id].reason == c.reason):
            continue
        change = f"{c.id}: {was} -> {now}"
        if now in FAILING and was not in FAILING:
            result.new_failures.append(change)
        elif now == "pass" and was != "pass":
            result.new_passes.append(change)
        elif now in _SKIPS or was in _SKIPS:
            result.changed_skips.append(change + (f" ({c.reason})" if c.reason else ""))
        else:
            result.other_changes.append(change)
    return result
