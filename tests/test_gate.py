"""The baseline and the gate, as a command on a results file and through pytest options."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from nnconform.cli import main
from reports.baseline import BaselineError, gate, load_baseline
from reports.verdicts import load_report
from tests.report_runs import MUTANT, pytest_run, results, tmp_dir

CLAUSE = "REG-ITER-MODULES-NODEDUP"


def _baseline(name: str, *entries: dict[str, str]) -> Path:
    path = tmp_dir() / f"{name}.baseline.yaml"
    path.write_text(yaml.safe_dump({"expected_failures": list(entries)}))
    return path


def _gate(results_file: Path, baseline: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["gate", str(results_file), "--baseline", str(baseline)])
    return code, capsys.readouterr().out


def test_a_clean_run_passes_the_gate(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _gate(results("torch"), _baseline("empty"), capsys)
    assert code == 0, out
    assert "gate passed" in out, out


def test_a_new_failure_fails_the_gate_and_is_named(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _gate(results(MUTANT), _baseline("empty"), capsys)
    assert code == 1, out
    assert f"NEW FAILURE: {CLAUSE} (must)" in out, out


def test_an_unexpected_pass_fails_the_gate_and_is_named(capsys: pytest.CaptureFixture[str]) -> None:
    baseline = _baseline("stale-pass", {"id": CLAUSE, "reason": "fork keeps duplicates"})
    code, out = _gate(results("torch"), baseline, capsys)
    assert code == 1, out
    assert f"UNEXPECTED PASS (baseline is stale, remove the entry): {CLAUSE}" in out, out


def test_a_baseline_entry_by_test_id_covers_only_that_test(capsys: pytest.CaptureFixture[str]) -> None:
    report = load_report(results(MUTANT))
    failing = next(c for c in report.clauses if c.id == CLAUSE).failing_tests
    nodeid = failing[0]["nodeid"]
    result = gate(report, load_baseline(_baseline("by-test", {"id": nodeid, "reason": "known"})))
    assert CLAUSE in result.expected, result.lines()
    assert not any(line.startswith(CLAUSE) for line in result.new_failures), result.lines()


def test_entries_that_match_nothing_are_reported(capsys: pytest.CaptureFixture[str]) -> None:
    baseline = _baseline(
        "unmatched",
        {"id": "NO-SUCH-CLAUSE", "reason": "typo"},
        {"id": "REG-ITER-MODULES-PREFIX", "reason": "was broken once"},
    )
    code, out = _gate(results(MUTANT), baseline, capsys)
    assert "baseline entry matches nothing in this run: NO-SUCH-CLAUSE" in out, out
    assert code == 1, out  # the mutant's other failures are still new


def test_rewrite_then_rerun_passes(capsys: pytest.CaptureFixture[str]) -> None:
    baseline = _baseline("rewrite", {"id": "NO-SUCH-CLAUSE", "reason": "typo"})
    assert main(["gate", str(results(MUTANT)), "--baseline", str(baseline), "--rewrite"]) == 0
    entries = load_baseline(baseline)
    assert CLAUSE in {e.id for e in entries} and all(e.reason for e in entries), entries
    assert "NO-SUCH-CLAUSE" not in {e.id for e in entries}, entries
    code, out = _gate(results(MUTANT), baseline, capsys)
    assert code == 0, out
    assert f"expected failure (baseline): {CLAUSE}" in out, out


def test_a_baseline_without_reasons_is_rejected() -> None:
    with pytest.raises(BaselineError, match="needs an id and a reason"):
        load_baseline(_baseline("bad", {"id": CLAUSE}))


def test_the_gate_works_through_pytest_options() -> None:
    baseline = _baseline("plugin", {"id": CLAUSE, "reason": "fork keeps duplicates"})
    rewritten = tmp_dir() / "plugin-rewritten.yaml"
    run = pytest_run(
        "torch",
        "--nnc-baseline", str(baseline), "--nnc-write-baseline", str(rewritten),
        name="plugin-gate", subset="named_modules_without_dedup",
    )  # fmt: skip
    assert run.returncode == 1, run.stdout[-3000:]
    assert f"UNEXPECTED PASS (baseline is stale, remove the entry): {CLAUSE}" in run.stdout, run.stdout
    assert "report: " in run.stdout, run.stdout
    assert load_baseline(rewritten) == [], rewritten.read_text()
