"""The HTML conformance report: one self-contained file, readable without JavaScript.

No network access: styles and the small script are inline. Every text that comes from a candidate
(failure messages, reprs, observations) is escaped. Without JavaScript the clause table is complete
and failing clauses expand with ``<details>``; with it, the table can be filtered by area, level and
verdict, a ``#clause-ID`` address opens that clause, and reproducers get a copy button.
"""

from __future__ import annotations

import html
import pprint
from pathlib import Path
from typing import Any

from reports.verdicts import SCORED_LEVELS, VERDICTS, ClauseVerdict, Report

COLOURS = {
    "pass": "#2e7d32",
    "fail": "#c62828",
    "error": "#8e24aa",
    "unexpected_pass": "#ef6c00",
    "blocked": "#ad1457",
    "expected_failure": "#78909c",
    "skipped": "#b0bec5",
    "not_applicable": "#cfd8dc",
    "untested": "#eceff1",
}

TEXT_COLOURS = {**COLOURS, "skipped": "#546e7a", "not_applicable": "#607d8b", "untested": "#90a4ae"}

CSS = """
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}
h1{margin:0 0 .3em}
.partial{background:#fff3cd;border:1px solid #e0b000;padding:.5em;margin:.5em 0}
dl.meta{display:grid;grid-template-columns:max-content auto;gap:.1em 1em}
dl.meta dt{font-weight:bold}
.headline{font-size:1.6em;margin:.4em 0}
.bar{display:flex;height:14px;width:420px;border:1px solid #999}
.bar span{display:block;height:100%}
table{border-collapse:collapse;width:100%}
td,th{border-bottom:1px solid #ddd;padding:3px 6px;text-align:left;vertical-align:top}
.v{font-weight:bold;white-space:nowrap}
pre{background:#f6f6f6;padding:.5em;overflow:auto;max-height:30em;white-space:pre-wrap}
.filters select{margin-right:1em}
.copy{display:none}
.js .copy{display:inline}
"""

SCRIPT = """
document.body.classList.add('js');
function applyFilters(){
  var f={};
  document.querySelectorAll('.filters select').forEach(function(s){f[s.name]=s.value;});
  document.querySelectorAll('tr.clause').forEach(function(r){
    var show=Object.keys(f).every(function(k){return !f[k]||r.dataset[k]===f[k];});
    r.hidden=!show;
  });
}
document.querySelectorAll('.filters select').forEach(function(s){s.addEventListener('change',applyFilters);});
document.querySelectorAll('button.copy').forEach(function(b){
  b.addEventListener('click',function(){
    var text=b.nextElementSibling.textContent;
    if(navigator.clipboard){navigator.clipboard.writeText(text);}
    b.textContent='copied';
  });
});
function openHash(){
  var id=decodeURIComponent(location.hash.slice(1));
  var row=id&&document.getElementById(id);
  if(row){var d=row.querySelector('details');if(d){d.open=true;}row.scrollIntoView();}
}
window.addEventListener('hashchange',openHash);
openHash();
document.body.dataset.ready='1';
"""


def esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _label(verdict: str) -> str:
    return verdict.replace("_", " ")


def _bar(counts: dict[str, int]) -> str:
    total = sum(counts.values()) or 1
    parts = "".join(
        f'<span style="width:{100 * n / total:.2f}%;background:{COLOURS[v]}" title="{esc(_label(v))}: {n}">'
        "</span>"
        for v, n in counts.items()
        if n
    )
    return f'<div class="bar">{parts}</div>'


def _meta(report: Report) -> str:
    h = report.header
    rows = [
        ("candidate", h.get("candidate")),
        ("version", h.get("candidate_version")),
        ("platform", h.get("platform")),
        ("Python", h.get("python")),
        ("torch", h.get("torch_version")),
        ("profile", h.get("profile")),
        ("seed", h.get("seed")),
        ("date", h.get("started")),
        ("nnconform", f"{h.get('nnconform_version')} ({h.get('nnconform_commit') or 'no commit'})"),
        ("tests run", len(report.items)),
    ]
    return '<dl class="meta">' + "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in rows) + "</dl>"


def _headline(report: Report) -> str:
    parts = []
    for level in SCORED_LEVELS:
        passing, applicable = report.conformance(level)
        pct = f"{100 * passing / applicable:.1f}%" if applicable else "n/a"
        counts = report.counts(level=level)
        # what keeps the figure below 100% without being a failure: said in the same line
        unverified = [f"{counts[v]} {_label(v)}" for v in ("skipped", "untested", "blocked") if counts.get(v)]
        aside = f"; {', '.join(unverified)}" if unverified else ""
        parts.append(f"<span>{esc(level)}: {passing}/{applicable} clauses pass ({pct}{esc(aside)})</span>")
    quirks = report.counts(level="quirk")
    quirk_line = ", ".join(f"{n} {_label(v)}" for v, n in quirks.items() if n) or "none"
    return (
        f'<div class="headline" id="headline">{" &middot; ".join(parts)}</div>'
        f"<p>quirk clauses (informative only): {esc(quirk_line)}</p>"
    )


def _failing(report: Report) -> str:
    failing = [c for c in report.clauses if c.verdict in ("fail", "error", "unexpected_pass")]
    if not failing:
        return ""
    links = ", ".join(
        f'<a href="#clause-{esc(c.id)}">{esc(c.id)}</a> ({esc(c.level)}, {esc(_label(c.verdict))})'
        for c in failing
    )
    return f'<p id="failing">Failing clauses ({len(failing)}): {links}</p>'


def _areas(report: Report) -> str:
    rows = []
    for area in report.areas():
        counts = report.counts(area=area)
        text = ", ".join(f"{n} {_label(v)}" for v, n in counts.items() if n)
        rows.append(f"<tr><th>{esc(area)}</th><td>{_bar(counts)}</td><td>{esc(text)}</td></tr>")
    return "<h2>Areas</h2><table class='areas'>" + "".join(rows) + "</table>"


def _filters(report: Report) -> str:
    def select(name: str, values: list[str]) -> str:
        options = "".join(f'<option value="{esc(v)}">{esc(_label(v))}</option>' for v in values)
        return f'<label>{name} <select name="{name}"><option value="">all</option>{options}</select></label>'

    levels = list(dict.fromkeys(c.level for c in report.clauses))
    return (
        '<div class="filters">'
        + select("area", report.areas())
        + select("level", levels)
        + select("verdict", [v for v in VERDICTS if report.counts()[v]])
        + "</div>"
    )


def _pre(title: str, value: Any, copy: bool = False) -> str:
    text = value if isinstance(value, str) else pprint.pformat(value, width=100)
    button = '<button class="copy" type="button">copy</button>' if copy else ""
    return f"<h4>{esc(title)}</h4>{button}<pre>{esc(text)}</pre>"


def _test_detail(test: dict[str, Any]) -> str:
    out = [f"<h3>{esc(test['nodeid'])} &mdash; {esc(test['outcome'])}</h3>"]
    details = test.get("details") or {}
    if details.get("program"):
        out.append(_pre("program", "\n".join(map(str, details["program"]))))
    if "oracle" in details:
        out.append(_pre("oracle observed", details["oracle"]))
    if "candidate" in details:
        out.append(_pre("candidate observed", details["candidate"]))
    if details.get("reproducer"):
        out.append(_pre("reproducer", details["reproducer"], copy=True))
    if test.get("failure"):
        out.append(_pre("failure", test["failure"]))
    return "".join(out)


def _docs(clause: ClauseVerdict) -> str:
    if not clause.docs:
        return ""
    href = clause.docs if clause.docs.startswith(("http://", "https://")) else ""
    return f'<a href="{esc(href)}">docs</a>' if href else esc(clause.docs)


def _row(clause: ClauseVerdict) -> str:
    verdict = (
        f'<span class="v" style="color:{TEXT_COLOURS[clause.verdict]}">{esc(_label(clause.verdict))}</span>'
    )
    if clause.reason:
        verdict += f"<br><small>{esc(clause.reason)}</small>"
    summary = esc(clause.summary)
    failing = clause.failing_tests
    if failing:
        summary = (
            f"<details><summary>{summary} ({len(failing)} failing test{'s' if len(failing) > 1 else ''})"
            f"</summary>{''.join(_test_detail(t) for t in failing)}</details>"
        )
    return (
        f'<tr class="clause" id="clause-{esc(clause.id)}" data-area="{esc(clause.area)}" '
        f'data-level="{esc(clause.level)}" data-verdict="{esc(clause.verdict)}">'
        f"<td><code>{esc(clause.id)}</code></td><td>{esc(clause.level)}</td><td>{summary}</td>"
        f"<td>{verdict}</td><td>{_docs(clause)}</td></tr>"
    )


def render(report: Report) -> str:
    title = f"nnconform report: {report.candidate}"
    partial = (
        '<div class="partial" id="partial">Partial run: the results file has no end-of-run record '
        f"(the run was killed or is still going). This report shows the {len(report.items)} tests that "
        "finished.</div>"
        if report.partial
        else ""
    )
    unknown = (
        f"<p>Results name clauses not in the spec: {esc(', '.join(report.unknown_clauses))}</p>"
        if report.unknown_clauses
        else ""
    )
    rows = "".join(_row(c) for c in report.clauses)
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{esc(title)}</title><style>{CSS}</style></head><body>"
        f"<h1>{esc(title)}</h1>{partial}{_meta(report)}{_headline(report)}{_failing(report)}{_areas(report)}{unknown}"
        f"<h2>Clauses</h2>{_filters(report)}"
        "<table class='clauses'><thead><tr><th>id</th><th>level</th><th>summary</th><th>verdict</th>"
        f"<th>docs</th></tr></thead><tbody>{rows}</tbody></table>"
        f"<script>{SCRIPT}</script></body></html>\n"
    )


def write_html(report: Report, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(report), encoding="utf-8")
    return path
