"""Mutation score: run the suites against every mutant of the catalog and count the ones caught.

``python -m nnconform.mutation [--area A] [--only ID,ID] [--jobs N] [--timeout S]``

Each mutant runs in its own pytest process (so a mutant that crashes or hangs ends only its own run),
with ``-x`` (stop at the first failing test) and the ``mutation`` hypothesis profile. The suite files of
the mutant's own area run first, then every other suite file, so "time to first failure" measures how
soon the suites as a whole notice the bug. A mutant is

* caught: pytest exits 1 and the results file records a failed item that names a clause;
* missed: every test passed (exit 0);
* timed out: the run took longer than ``--timeout`` seconds;
* broken: any other exit (a crash of the harness, a usage error): reported, never counted as caught.

The score is caught / (caught + missed + timed out); broken mutants are listed and make the command fail.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from nnconform import ROOT, SUITES_DIR
from nnconform.results import read_results

CAUGHT, MISSED, TIMED_OUT, BROKEN = "caught", "missed", "timed out", "broken"
EXIT_TESTS_FAILED = 1


@dataclass(frozen=True)
class MutantRun:
    """What one mutant's pytest run showed."""

    mutant_id: str
    area: str
    description: str
    verdict: str
    seconds: float
    first_failure: str = ""
    detail: str = ""


def suite_files_for(area: str, suites_dir: Path = SUITES_DIR) -> list[str]:
    """Every suite file, the given area's first (``test_<area>_*.py``), as paths relative to the root."""
    every = sorted(suites_dir.glob("test_*.py"))
    own = [p for p in every if p.name.startswith(f"test_{area}_")]
    rest = [p for p in every if p not in own]
    return [p.relative_to(ROOT).as_posix() for p in own + rest]


def pytest_command(mutant_id: str, files: Sequence[str], results: Path, profile: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "pytest",
        "-x",
        "-q",
        "-p",
        "no:cacheprovider",
        "-p",
        "nnconform.plugin",
        "--rootdir",
        str(ROOT),
        "-c",
        str(ROOT / "pyproject.toml"),
        "--candidate",
        f"mutant:{mutant_id}",
        "--hypothesis-profile",
        profile,
        "--nnc-results",
        str(results),
        "--nnc-no-report",
        *files,
    ]


def run_one(mutant_id: str, area: str, description: str, timeout: float, profile: str) -> MutantRun:
    """Run the suites against one mutant in a fresh process and classify the outcome."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONDONTWRITEBYTECODE="1")
    for leaked in ("PYTEST_XDIST_WORKER", "PYTEST_ADDOPTS", "NNCONFORM_CANDIDATE"):
        env.pop(leaked, None)
    with tempfile.TemporaryDirectory(prefix="nnc-mutant-") as tmp:
        results = Path(tmp) / "results.jsonl"
        command = pytest_command(mutant_id, suite_files_for(area), results, profile)
        started = time.perf_counter()
        try:
            done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return MutantRun(mutant_id, area, description, TIMED_OUT, time.perf_counter() - started)
        seconds = time.perf_counter() - started
        tail = (done.stdout + done.stderr)[-2000:]
        if done.returncode == 0:
            return MutantRun(mutant_id, area, description, MISSED, seconds)
        if done.returncode != EXIT_TESTS_FAILED or not results.exists():
            return MutantRun(mutant_id, area, description, BROKEN, seconds, detail=tail)
        _, items = read_results(results)
        failed = [i for i in items if i["outcome"] == "failed" and i["clauses"]]
        if not failed:
            return MutantRun(mutant_id, area, description, BROKEN, seconds, detail=tail)
        return MutantRun(mutant_id, area, description, CAUGHT, seconds, first_failure=failed[0]["nodeid"])


def run_all(
    selected: Iterable[tuple[str, str, str]], jobs: int, timeout: float, profile: str
) -> list[MutantRun]:
    """Run every (id, area, description) with ``jobs`` mutants at a time; results in catalog order."""
    selected = list(selected)
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = [pool.submit(run_one, mid, area, desc, timeout, profile) for mid, area, desc in selected]
        runs = []
        for future in futures:
            run = future.result()
            _progress(run)
            runs.append(run)
    return runs


def _progress(run: MutantRun) -> None:
    print(f"  {run.verdict:<9} {run.seconds:6.1f}s  {run.mutant_id}", file=sys.stderr, flush=True)


def score(runs: Sequence[MutantRun]) -> float:
    counted = [r for r in runs if r.verdict in (CAUGHT, MISSED, TIMED_OUT)]
    return sum(r.verdict == CAUGHT for r in counted) / len(counted) if counted else 0.0


def format_summary(runs: Sequence[MutantRun], survivors: dict[str, str]) -> str:
    """Per-area counts and score, the caught mutants' time to first failure, and every survivor."""
    lines = [
        f"{'area':<13} {'mutants':>7} {'caught':>6} {'missed':>6} {'timeout':>7} {'broken':>6} {'score':>7}"
    ]
    for area in sorted({r.area for r in runs}):
        mine = [r for r in runs if r.area == area]
        lines.append(_row(area, mine))
    lines.append(_row("all", list(runs)))
    caught = [r for r in runs if r.verdict == CAUGHT]
    if caught:
        lines += ["", "time to first failure (caught mutants):"]
        lines += [f"  {r.seconds:6.1f}s  {r.mutant_id:<44} {r.first_failure}" for r in caught]
    for verdict in (MISSED, TIMED_OUT, BROKEN):
        bad = [r for r in runs if r.verdict == verdict]
        if bad:
            lines += ["", f"{verdict}:"]
            for r in bad:
                reason = survivors.get(r.mutant_id, "no reason recorded: a gap in the suites")
                lines.append(f"  {r.mutant_id}: {r.description}")
                if verdict == MISSED:
                    lines.append(f"    why it survives: {reason}")
                if r.detail:
                    lines.append("    " + r.detail.strip().replace("\n", "\n    ")[-800:])
    lines += ["", f"mutation score: {score(runs):.1%} ({sum(r.verdict == CAUGHT for r in runs)}/{len(runs)})"]
    return "\n".join(lines)


def _row(label: str, runs: Sequence[MutantRun]) -> str:
    count = {v: sum(r.verdict == v for r in runs) for v in (CAUGHT, MISSED, TIMED_OUT, BROKEN)}
    return (
        f"{label:<13} {len(runs):>7} {count[CAUGHT]:>6} {count[MISSED]:>6} {count[TIMED_OUT]:>7} "
        f"{count[BROKEN]:>6} {score(runs):>7.1%}"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="nnconform mutate",
        description="Run the suites against every mutant and print the mutation score.",
    )
    parser.add_argument("--area", action="append", default=[], help="only mutants of this area (repeatable)")
    parser.add_argument("--only", default="", help="comma-separated mutant ids")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="mutants run at once")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds allowed per mutant")
    parser.add_argument("--profile", default="mutation", help="hypothesis profile (default: mutation)")
    parser.add_argument("--min-score", type=float, default=0.0, help="exit 1 below this score (0..1)")
    parser.add_argument(
        "--record-first-failures",
        action="store_true",
        help="write each caught mutant's first failing test into mutants/first_failures.json (the "
        "project's own tests run that test first)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from mutants.catalog import all_mutants, known_survivors

    args = build_parser().parse_args(argv)
    catalog = all_mutants()
    only = [m for m in args.only.split(",") if m]
    unknown = [m for m in only if m not in catalog]
    if unknown:
        print(f"nnconform mutate: unknown mutant ids: {', '.join(unknown)}", file=sys.stderr)
        return 2
    selected = [
        (m.id, m.area, m.description)
        for m in catalog.values()
        if (not only or m.id in only) and (not args.area or m.area in args.area)
    ]
    if not selected:
        print("nnconform mutate: no mutant matches the selection", file=sys.stderr)
        return 2
    print(f"running {len(selected)} mutants, {args.jobs} at a time", file=sys.stderr)
    runs = run_all(selected, args.jobs, args.timeout, args.profile)
    print(format_summary(runs, known_survivors()))
    if args.record_first_failures:
        from mutants.run_first import FIRST_FAILURES, record_first_failures

        record_first_failures({r.mutant_id: r.first_failure for r in runs if r.verdict == CAUGHT})
        print(f"first failures recorded in {FIRST_FAILURES.relative_to(ROOT)}", file=sys.stderr)
    if any(r.verdict == BROKEN for r in runs):
        return 3
    return 1 if score(runs) < args.min_score else 0


if __name__ == "__main__":
    raise SystemExit(main())
