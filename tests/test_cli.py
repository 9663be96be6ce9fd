"""The ``nnconform`` command's report, compare and run subcommands (gate: tests/test_gate.py)."""

from __future__ import annotations

import subprocess
import sys
import tomllib

import pytest

import nnconform
from nnconform.cli import main
from tests.report_runs import MUTANT, SUITE, results, tmp_dir


def test_report_writes_html_and_summary_beside_the_results(capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_dir() / "cli" / "mutant.html"
    assert main(["report", str(results(MUTANT)), "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert f"report: {out}" in printed and out.exists(), printed
    assert out.with_suffix(".summary.json").exists()


def test_compare_prints_the_matrix_and_the_diff(capsys: pytest.CaptureFixture[str]) -> None:
    files = [str(results(c)) for c in ("torch", "oracle", MUTANT)]
    page = tmp_dir() / "cli" / "compare.html"
    assert main(["compare", *files, "--html", str(page)]) == 0
    out = capsys.readouterr().out
    assert "REG-ITER-MODULES-NODEDUP" in out and page.exists(), out
    assert main(["compare", files[0], files[2], "--diff"]) == 0
    out = capsys.readouterr().out
    assert "new failures (" in out and "REG-ITER-MODULES-NODEDUP: pass -> fail" in out, out
    assert main(["compare", files[0], "--diff"]) == 2


def test_the_console_script_and_module_entry_points_exist(capsys: pytest.CaptureFixture[str]) -> None:
    pyproject = tomllib.loads((nnconform.ROOT / "pyproject.toml").read_text())
    assert pyproject["project"]["scripts"]["nnconform"] == "nnconform.cli:main"
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for command in ("run", "report", "compare", "gate", "spec", "show"):
        assert command in out, out


def test_python_m_nnconform_run_passes_pytest_options_and_writes_the_report() -> None:
    results = tmp_dir() / "cli-run.results.jsonl"
    run = subprocess.run(
        [sys.executable, "-m", "nnconform", "run", "--candidate", "oracle", SUITE, "-q", "-p", "no:randomly",
         "-k", "named_modules_without_dedup", "--hypothesis-profile", "mutation",
         "--nnc-results", str(results)],
        cwd=nnconform.ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert f"report: {tmp_dir() / 'cli-run.html'}" in run.stdout, run.stdout
    assert '"candidate": "oracle"' in results.read_text()
