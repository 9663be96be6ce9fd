"""Run the suites against every candidate, each in its own pytest process (and, for frameworks that
live in their own virtual environment, with that environment's Python), then write the published
results under reports/published/: one results file and one HTML report per candidate, the comparison
of all of them (compare.html) and the headline table (headline.md, which the README quotes).

    .venv/bin/python scripts/publish.py                       # torch, the oracle, torch's wrappers
    .venv/bin/python scripts/publish.py --venv paddle=.venv-paddle:adapters.paddle_adapter:make_candidate

``--from-results`` runs nothing and rebuilds the reports and the table from the results files there
(pass the same ``--venv`` names to include those candidates). A candidate that crashes or hangs loses
only its own run: its results file then holds what finished,
and the report marks it partial.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from adapters.torch_wrappers import WRAPPERS  # noqa: E402
from reports.headline import headline_row, markdown_table  # noqa: E402

OUT = ROOT / "reports" / "published"
BUILTIN = ["torch", "oracle", *WRAPPERS]


@dataclass(frozen=True)
class Target:
    name: str  # the file name stem under reports/published/
    candidate: str  # the --candidate value
    python: Path


def parse_venv(text: str) -> Target:
    """``name=VENV:candidate`` -> a target run with VENV's Python."""
    name, _, rest = text.partition("=")
    venv, _, candidate = rest.partition(":")
    if not (name and venv and candidate):
        raise argparse.ArgumentTypeError(f"--venv {text!r}: expected NAME=VENV:CANDIDATE")
    python = (ROOT / venv / "bin" / "python").resolve()
    if not python.exists():
        raise argparse.ArgumentTypeError(f"--venv {text!r}: no Python at {python}")
    return Target(name, candidate, python)


def run_target(target: Target, workers: int, timeout: int) -> tuple[Path, str]:
    results = OUT / f"{target.name}.results.jsonl"
    command = [
        str(target.python), "-m", "pytest", "suites", "-q", "-p", "no:cacheprovider",
        "--candidate", target.candidate, "--nnc-results", str(results), "--nnc-no-report",
    ]  # fmt: skip
    if workers > 1:
        command += ["-n", str(workers)]
    start = time.monotonic()
    try:
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
        status = f"exit {done.returncode}"
    except subprocess.TimeoutExpired:
        status = f"killed after {timeout} s"
    return results, f"{target.name}: {status}, {time.monotonic() - start:.0f} s"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--only", action="append", default=[], help="built-in candidates to run (repeatable)")
    parser.add_argument("--venv", action="append", default=[], type=parse_venv, help="NAME=VENV:CANDIDATE")
    parser.add_argument("-n", "--workers", type=int, default=2, help="pytest-xdist workers per candidate")
    parser.add_argument("--timeout", type=int, default=3600, help="seconds allowed per candidate")
    parser.add_argument(
        "--from-results",
        action="store_true",
        help="run nothing: rebuild reports and table from the results files",
    )
    args = parser.parse_args(argv)

    from reports.html import write_html
    from reports.verdicts import load_report

    OUT.mkdir(parents=True, exist_ok=True)
    names = args.only or BUILTIN
    targets = [Target(n, n, Path(sys.executable)) for n in names] + list(args.venv)
    reports = []
    for target in targets:
        results = OUT / f"{target.name}.results.jsonl"
        if not args.from_results:
            results, status = run_target(target, args.workers, args.timeout)
            print(status, flush=True)
        if not results.exists():
            print(f"  {target.name}: no results file; left out of the comparison", file=sys.stderr)
            continue
        report = load_report(results)
        write_html(report, OUT / f"{target.name}.html")
        reports.append(report)

    from reports.compare import matrix_html

    (OUT / "compare.html").write_text(matrix_html(reports), encoding="utf-8")
    table = markdown_table([headline_row(r) for r in reports])
    (OUT / "headline.md").write_text(table, encoding="utf-8")
    print(table)
    print(f"published: {OUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
