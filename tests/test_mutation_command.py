"""The mutation-score command: classification, summary and an end-to-end run on a CI-sized subset."""

from __future__ import annotations

import subprocess
import sys

from nnconform import ROOT
from nnconform.mutation import (
    BROKEN,
    CAUGHT,
    MISSED,
    TIMED_OUT,
    MutantRun,
    format_summary,
    score,
    suite_files_for,
)


def _run(mid: str, area: str, verdict: str, seconds: float = 1.0, first: str = "") -> MutantRun:
    return MutantRun(mid, area, f"{mid} has a bug", verdict, seconds, first_failure=first)


def test_score_counts_timeouts_as_not_caught_and_leaves_broken_runs_out() -> None:
    runs = [_run("a", "x", CAUGHT), _run("b", "x", MISSED), _run("c", "y", TIMED_OUT), _run("d", "y", BROKEN)]
    assert score(runs) == 1 / 3


def test_summary_lists_areas_first_failures_and_survivors_with_their_reasons() -> None:
    runs = [
        _run("hook-a", "hooks", CAUGHT, 2.5, "suites/test_hooks_x.py::test_y"),
        _run("reg-b", "registration", MISSED),
        _run("reg-c", "registration", MISSED),
    ]
    text = format_summary(runs, {"reg-b": "equivalent to torch: the order never shows"})
    assert "hooks" in text and "registration" in text
    assert "suites/test_hooks_x.py::test_y" in text and "2.5s" in text
    assert "reg-b: reg-b has a bug" in text and "equivalent to torch: the order never shows" in text
    assert "reg-c: reg-c has a bug" in text and "no reason recorded" in text
    assert "mutation score: 33.3% (1/3)" in text


def test_area_suite_files_run_first_then_every_other_suite() -> None:
    files = suite_files_for("registration")
    own = [f for f in files if f.startswith("suites/test_registration_")]
    assert own and files[: len(own)] == own
    assert len(files) == len(list((ROOT / "suites").glob("test_*.py")))


def _command(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nnconform.mutation", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_unknown_mutant_id_is_a_usage_error() -> None:
    done = _command("--only", "reg-no-such-mutant")
    assert done.returncode == 2 and "reg-no-such-mutant" in done.stderr


def test_command_catches_a_mutant_end_to_end() -> None:
    done = _command("--only", "reg-named-modules-always-dedup", "--jobs", "1", "--min-score", "1")
    assert done.returncode == 0, done.stdout + done.stderr[-2000:]
    assert "mutation score: 100.0% (1/1)" in done.stdout
    assert "reg-named-modules-always-dedup" in done.stdout
