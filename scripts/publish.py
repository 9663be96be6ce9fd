"""Run the suites against every candidate, each in its own pytest process (and, for frameworks that
live in their own virtual environment, with that environment's Python), then write the published
results under reports/published/: one results file and one HTML report per candidate, the comparison
of all of them (compare.html) and the headline table (headline.md, which the README quotes).

    .venv/bin/python scripts/publish.py                 # every candidate whose environment exists
    .venv/bin/python scripts/publish.py --only paddle   # run one again; the comparison keeps the others

The published candidates are torch, the oracle, torch's wrappers and the frameworks of FOREIGN, each in
the virtual environment its ``scripts/make_venv_*.sh`` builds (a framework whose environment is missing
is left out of the run with a message). ``--venv NAME=VENV:CANDIDATE`` adds one more. The comparison and
the table always cover every published candidate that has a results file, so candidates can be run one
at a time. ``--from-results`` runs nothing and only rebuilds them. Each run's wall time goes to
``timings.json``. A candidate that crashes or hangs loses only its own run: its results file then holds
what finished, and the report marks it partial.
"""

from __future__ import annotations

import argparse
import json
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
# Frameworks that live in their own virtual environment: name -> (venv, --candidate value).
FOREIGN: dict[str, tuple[str, str]] = {
    "paddle": (".venv-paddle", "adapters.paddle_adapter:make_candidate"),
    "mindspore": (".venv-mindspore", "adapters.mindspore_adapter:make_candidate"),
    "jittor": (".venv-jittor", "adapters.jittor_adapter:make_candidate"),
}
TIMINGS = OUT / "timings.json"


@dataclass(frozen=True)
class Target:
    name: str  # the file name stem under reports/published/
    candidate: str  # the --candidate value
    python: Path
    profile: str = "ci"  # the hypothesis profile


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


def published_targets() -> list[Target]:
    """Every published candidate, in the table's order (foreign ones with their venv's Python, whether
    or not that venv exists here)."""
    # Every candidate but torch and the oracle fails many tests, and shrinking each failure dominates
    # its run (half an hour and more on 2 cores for jit.trace, MindSpore or Jittor): they run with the
    # `mutation` profile, which draws the very same examples as `ci` (so the same verdicts) but does not
    # shrink the failing ones. Rerun a clause's tests with `ci` for a minimal reproducer.
    python = Path(sys.executable)
    own = [Target(n, n, python, "ci" if n in ("torch", "oracle") else "mutation") for n in BUILTIN]
    foreign = [Target(n, c, ROOT / v / "bin" / "python", "mutation") for n, (v, c) in FOREIGN.items()]
    return own + foreign


def record_timing(name: str, status: str, seconds: float, workers: int, profile: str) -> None:
    timings = json.loads(TIMINGS.read_text(encoding="utf-8")) if TIMINGS.exists() else {}
    timings[name] = {"status": status, "seconds": round(seconds), "workers": workers, "profile": profile}
    TIMINGS.write_text(json.dumps(timings, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def run_target(target: Target, workers: int, timeout: int) -> tuple[Path, str]:
    results = OUT / f"{target.name}.results.jsonl"
    command = [
        str(target.python), "-m", "pytest", "suites", "-q", "-p", "no:cacheprovider",
        "--candidate", target.candidate, "--nnc-results", str(results), "--nnc-no-report",
        "--hypothesis-profile", target.profile,
    ]  # fmt: skip
    if workers > 1:
        command += ["-n", str(workers)]
    start = time.monotonic()
    try:
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
        status = f"exit {done.returncode}"
    except subprocess.TimeoutExpired:
        status = f"killed after {timeout} s"
    seconds = time.monotonic() - start
    record_timing(target.name, status, seconds, workers, target.profile)
    return results, f"{target.name}: {status}, {seconds:.0f} s"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--only", action="append", default=[], help="candidates to run (repeatable)")
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
    everyone = published_targets() + list(args.venv)
    unknown = set(args.only) - {t.name for t in everyone}
    if unknown:
        parser.error(f"--only {', '.join(sorted(unknown))}: not a published candidate "
                     f"({', '.join(t.name for t in everyone)})")  # fmt: skip
    to_run = [] if args.from_results else [t for t in everyone if not args.only or t.name in args.only]
    for target in to_run:
        if not target.python.exists():
            print(f"{target.name}: no environment at {target.python.parent.parent}; not run", file=sys.stderr)
            continue
        _, status = run_target(target, args.workers, args.timeout)
        print(status, flush=True)
    reports = []
    for target in everyone:
        results = OUT / f"{target.name}.results.jsonl"
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
