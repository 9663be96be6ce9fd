"""Clause verdicts, the HTML report, the JSON summary, comparisons and partial runs."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

import nnconform
from nnconform.spec import Clause, Spec
from reports.compare import diff, matrix_html, matrix_text
from reports.headline import headline_row, markdown_table
from reports.html import render
from reports.summary import summary
from reports.verdicts import build_report, load_report
from tests.report_runs import MUTANT, SUITE, XSS, pytest_run, results, tmp_dir

MUTANT_CLAUSE = "REG-ITER-MODULES-NODEDUP"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def _clause(cid: str, level: str = "must", area: str = "demo", **kw: Any) -> Clause:
    fields: dict[str, Any] = {
        "summary": f"summary of {cid}", "symbol": "Module.x", "docs": "https://example.org/x",
        "since": "2.0", "requires": (), "depends_on": (), "note": "", "path": Path("demo.yaml"), "line": 1,
    }  # fmt: skip
    fields.update(kw)
    return Clause(id=cid, area=area, level=level, **fields)


def _item(nodeid: str, clauses: list[str], outcome: str, failure: str | None = None,
          details: dict[str, Any] | None = None) -> dict[str, Any]:  # fmt: skip
    return {"kind": "item", "nodeid": nodeid, "clauses": clauses, "outcome": outcome, "duration": 0.1,
            "candidate": "demo", "failure": failure, "details": details}  # fmt: skip


DEMO_SPEC = Spec(
    clauses={
        c.id: c
        for c in (
            _clause("D-ROOT"),
            _clause("D-CHILD", depends_on=("D-ROOT",)),
            _clause("D-GRANDCHILD", level="compat", depends_on=("D-CHILD",)),
            _clause("D-SKIP"),
            _clause("D-NA", requires=("cuda",)),
            _clause("D-XFAIL", level="compat"),
            _clause("D-XPASS", level="compat"),
            _clause("D-ERR"),
            _clause("D-QUIRK", level="quirk", area="other"),
            _clause("D-UNTESTED", area="other"),
            _clause("D-PASS", area="other"),
        )
    },
    capabilities={"cuda": "a CUDA device"},
    retired={},
)
DEMO_ITEMS = [
    _item("t::root", ["D-ROOT"], "failed", "AssertionError: root"),
    _item("t::child", ["D-CHILD"], "failed", "AssertionError: child"),
    _item("t::grandchild", ["D-GRANDCHILD"], "failed", "AssertionError: grandchild"),
    _item("t::skip", ["D-SKIP"], "skipped", "needs more memory"),
    _item("t::na", ["D-NA"], "not_applicable", "not applicable: candidate demo lacks cuda"),
    _item("t::xfail", ["D-XFAIL"], "xfailed"),
    _item("t::xpass", ["D-XPASS"], "xpassed"),
    _item("t::err", ["D-ERR"], "error", "fixture broke"),
    _item("t::quirk", ["D-QUIRK"], "failed", "quirk differs"),
    _item("t::pass", ["D-PASS", "D-ROOT"], "passed"),
    _item("t::gone", ["D-RETIRED"], "passed"),
]


def test_every_verdict_kind_is_derived() -> None:
    report = build_report({"candidate": "demo"}, {"kind": "end"}, DEMO_ITEMS, DEMO_SPEC)
    got = {c.id: (c.verdict, c.reason) for c in report.clauses}
    assert got["D-ROOT"][0] == "fail", got  # a failing test outweighs a passing one
    assert got["D-CHILD"] == ("blocked", "blocked by failing clause D-ROOT"), got
    assert got["D-GRANDCHILD"] == ("blocked", "blocked by failing clause D-ROOT"), got  # root, not middle
    assert got["D-SKIP"] == ("skipped", "needs more memory"), got
    assert got["D-NA"][0] == "not_applicable" and "lacks cuda" in got["D-NA"][1], got
    assert got["D-XFAIL"][0] == "expected_failure", got
    assert got["D-XPASS"][0] == "unexpected_pass", got
    assert got["D-ERR"][0] == "error", got
    assert got["D-QUIRK"][0] == "fail", got
    assert got["D-UNTESTED"][0] == "untested", got
    assert got["D-PASS"][0] == "pass", got
    assert report.unknown_clauses == ["D-RETIRED"]
    assert not report.partial
    assert report.conformance("must") == (1, 6), report.counts(level="must")  # D-NA not applicable
    data = summary(report)
    assert data["conformance"]["must"]["counts"]["fail"] == 1, data["conformance"]
    assert data["informative"]["quirk"]["fail"] == 1, data["informative"]
    assert data["clauses"]["D-CHILD"]["verdict"] == "blocked", data["clauses"]["D-CHILD"]


def test_a_failure_blames_only_the_clauses_its_details_name() -> None:
    item = _item("t::two", ["D-ROOT", "D-PASS"], "failed", "x", {"clauses": ["D-ROOT"]})
    report = build_report({}, None, [item], DEMO_SPEC)
    verdicts = {c.id: c.verdict for c in report.clauses}
    assert (verdicts["D-ROOT"], verdicts["D-PASS"]) == ("fail", "untested"), verdicts
    assert report.partial


def test_an_untested_clause_whose_requirement_the_candidate_lacks_is_not_applicable() -> None:
    """A clause no test named for this candidate (a clause_when_capable mark dropped it) is not applicable
    where the run header lists one of its requirements as lacking, and untested otherwise."""
    lacking = build_report({"candidate_lacks": ["cuda"]}, {"kind": "end"}, [], DEMO_SPEC)
    having = build_report({"candidate_lacks": []}, {"kind": "end"}, [], DEMO_SPEC)
    assert lacking.by_id()["D-NA"].verdict == "not_applicable", lacking.by_id()["D-NA"]
    assert "lacks cuda" in lacking.by_id()["D-NA"].reason
    assert having.by_id()["D-NA"].verdict == "untested"
    assert lacking.by_id()["D-UNTESTED"].verdict == "untested"  # requires nothing


def test_synthetic_failure_text_is_escaped() -> None:
    details = {"clauses": ["D-ROOT"], "program": [f"m.x = {XSS!r}"], "oracle": XSS, "candidate": [XSS],
               "reproducer": f"raise ValueError({XSS!r})"}  # fmt: skip
    items = [_item("t::x<script>", ["D-ROOT"], "failed", f"ValueError: {XSS}", details)]
    page = render(build_report({"candidate": "<script>x</script>"}, None, items, DEMO_SPEC))
    assert "<script>document" not in page and '<b id="injected">' not in page, "candidate HTML not escaped"
    assert "&lt;script&gt;document.body.dataset.pwned" in page, "the failure text is not shown"
    assert page.count("<script>") == 1, "only the report's own script may appear"


def test_reports_render_for_torch_oracle_and_a_mutant() -> None:
    for candidate in ("torch", "oracle", MUTANT):
        path = results(candidate)
        report = load_report(path)
        assert not report.partial, f"{candidate}: the end-of-run record is missing"
        html = path.with_name(path.name.removesuffix(".results.jsonl") + ".html")
        assert html.exists(), f"the plugin wrote no report for {candidate}"
        data = json.loads(html.with_suffix(".summary.json").read_text())
        failing = sorted(c for c, v in data["clauses"].items() if v["verdict"] == "fail")
        if candidate == MUTANT:
            assert MUTANT_CLAUSE in failing, failing
            assert f'id="clause-{MUTANT_CLAUSE}"' in html.read_text()
        else:
            assert failing == [], f"{candidate} fails {failing}"


def test_comparison_shows_the_mutants_failing_clauses() -> None:
    reports = [load_report(results(c)) for c in ("torch", "oracle", MUTANT)]
    text = matrix_text(reports, only_differences=True)
    row = next(line for line in text.splitlines() if line.startswith(MUTANT_CLAUSE + " "))
    assert row.split()[-3:] == ["pass", "pass", "fail"], text
    assert MUTANT_CLAUSE in matrix_html(reports)
    changes = diff(reports[0], reports[2])
    assert any(c.startswith(MUTANT_CLAUSE + ":") for c in changes.new_failures), changes.text()
    back = diff(reports[2], reports[0])
    assert any(c.startswith(MUTANT_CLAUSE + ":") for c in back.new_passes), back.text()


def test_a_truncated_results_file_reports_a_partial_run() -> None:
    lines = results(MUTANT).read_text().splitlines()
    assert json.loads(lines[-1])["kind"] == "end", lines[-1]
    cut = tmp_dir() / "truncated.results.jsonl"
    cut.write_text("\n".join(lines[:3]) + "\n" + lines[3][: len(lines[3]) // 2])  # torn last line
    report = load_report(cut)
    assert report.partial and len(report.items) == 2, (report.partial, len(report.items))
    assert 'id="partial"' in render(report)


def test_a_killed_run_still_reports_what_finished() -> None:
    out = tmp_dir() / "killed.results.jsonl"
    proc = subprocess.Popen(
        [sys.executable, "-m", "pytest", SUITE, "-q", "-p", "no:randomly", "--candidate", "torch",
         "--nnc-results", str(out), "--nnc-no-report"],
        cwd=nnconform.ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if out.exists() and out.read_text().count('"kind": "item"') >= 2:
                break
            time.sleep(0.1)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    report = load_report(out)
    assert report.partial and len(report.items) >= 2, (report.partial, len(report.items))


def test_a_candidates_exception_with_html_is_shown_not_executed() -> None:
    run = pytest_run("tests.report_runs:xss_candidate", name="xss", subset="named_modules_without_dedup")
    assert run.returncode == 1, run.stdout[-2000:]
    page = (tmp_dir() / "xss.html").read_text()
    assert "<script>document" not in page and '<b id="injected">' not in page
    assert "&lt;script&gt;document.body.dataset.pwned=" in page, "the exception text is not shown"
    if CHROMIUM:
        dom = _dump_dom(tmp_dir() / "xss.html", "")
        assert 'data-ready="1"' in dom, "the page's script did not run"
        assert 'data-pwned="' not in dom and '<b id="injected">' not in dom, "candidate text was executed"
        assert "&lt;script&gt;document.body.dataset.pwned=" in dom, "the exception text is not shown"


def _dump_dom(page: Path, fragment: str) -> str:
    assert CHROMIUM is not None
    run = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--user-data-dir=" + str(tmp_dir() / "chromium-profile"), "--virtual-time-budget=2000",
         "--dump-dom", page.resolve().as_uri() + fragment],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    return run.stdout


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install -y chromium)")
def test_headless_chromium_shows_the_headline_and_an_expanded_failing_clause() -> None:
    path = results(MUTANT)
    page = path.with_name(path.name.removesuffix(".results.jsonl") + ".html")
    dom = _dump_dom(page, f"#clause-{MUTANT_CLAUSE}")
    assert 'data-ready="1"' in dom, "the page's script did not run"
    assert 'id="headline"><span>must: ' in dom, "no headline conformance figure"
    row = dom[dom.index(f'id="clause-{MUTANT_CLAUSE}"') :]
    row = row[: row.index("</tr>")]
    assert "<details open" in row, "the failing clause is not expanded"
    for shown in ("<h4>failure</h4>", "named_modules(remove_duplicate=False)", "test_named_modules_without"):
        assert shown in row, f"the expanded clause does not show {shown!r}"


def test_headline_table_names_each_candidate_and_the_mutants_failing_clause() -> None:
    reports = [load_report(results(c)) for c in ("torch", "oracle", MUTANT)]
    rows = [headline_row(r) for r in reports]
    table = markdown_table(rows).splitlines()
    assert len(table) == 2 + 3, table
    for row, line in zip(rows[:2], table[2:4], strict=True):  # torch and the oracle fail nothing they run
        passing, applicable = row.must
        assert 0 < passing <= applicable and row.failing == [] and row.blocked == 0, row
        assert line.startswith(f"| `{row.candidate}` |") and line.endswith("| none |"), line
    mutant = rows[2]
    assert mutant.must[0] < mutant.must[1] or mutant.compat[0] < mutant.compat[1], mutant
    level = next(c.level for c in reports[2].clauses if c.id == MUTANT_CLAUSE)
    if level == "must":
        assert MUTANT_CLAUSE in mutant.failing_must, mutant
    assert MUTANT_CLAUSE in mutant.failing and MUTANT_CLAUSE in table[-1], table[-1]


def test_readme_quotes_the_published_headline_table() -> None:
    published = nnconform.ROOT / "reports" / "published"
    table = (published / "headline.md").read_text(encoding="utf-8")
    assert table in (nnconform.ROOT / "README.md").read_text(encoding="utf-8"), (
        "README's table differs from reports/published/headline.md (rerun scripts/publish.py and copy it)"
    )
    for row in table.splitlines()[2:]:
        name = row.split("`")[1]
        assert (published / f"{name}.results.jsonl").exists(), f"{name} is in the table without results"


# Where the findings of each published candidate are written; torch and its wrappers share FINDINGS.md.
FINDINGS_FILES = {
    "paddle": "paddle-findings.md",
    "mindspore": "mindspore-findings.md",
    "jittor": "jittor-findings.md",
}


def test_findings_cover_every_failing_must_clause() -> None:
    """Every must clause that fails in a published results file has an entry, by its id, in that
    candidate's findings."""
    published = nnconform.ROOT / "reports" / "published"
    missing = {}
    for results_file in sorted(published.glob("*.results.jsonl")):
        name = results_file.name.removesuffix(".results.jsonl")
        pattern = FINDINGS_FILES.get(name, "FINDINGS.md")
        findings = "".join(p.read_text(encoding="utf-8") for p in sorted(published.glob(pattern)))
        failing = headline_row(load_report(results_file)).failing_must
        absent = [cid for cid in failing if cid not in findings]
        if absent:
            missing[name] = absent
    assert not missing, f"failing must clauses without a findings entry: {missing}"
