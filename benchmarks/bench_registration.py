"""Benchmark of the registration suite: wall time per profile and worker count, and oracle vs candidate time.

Run from the checkout:  python benchmarks/bench_registration.py [--candidate torch] [--repeat 3]
Figures are for comparison across machines and commits; no test asserts on them.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def suite_wall_time(profile: str, workers: list[str], candidate: str) -> float:
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "--candidate",
        candidate,
        "--hypothesis-profile",
        profile,
        "--nnc-results",
        os.devnull,
        *workers,
        "suites/test_registration_differential.py",
        *sorted(
            str(p.relative_to(ROOT))
            for p in (ROOT / "suites").glob("test_registration_*.py")
            if "differential" not in p.name
        ),
    ]
    start = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"suite failed ({' '.join(command)}):\n{done.stdout[-3000:]}")
    return elapsed


def side_times(candidate_name: str) -> tuple[float, float, float]:
    """Seconds inside the candidate, inside the oracle, and in total, for the differential test's programs."""
    from hypothesis import settings
    from hypothesis.stateful import run_state_machine_as_test

    from adapters import resolve_candidate
    from nnconform import profiles
    from suites.support import program
    from suites.test_registration_differential import build_machine

    profiles.register_profiles()
    settings.load_profile("ci")
    spent = {"candidate": 0.0, "oracle": 0.0}
    plain_run, plain_query = program.Side.run, program.Side.query

    def timed(method):
        def wrapper(self, source):
            start = time.perf_counter()
            try:
                return method(self, source)
            finally:
                spent[self.candidate.name if self.candidate.name == "oracle" else "candidate"] += (
                    time.perf_counter() - start
                )

        return wrapper

    program.Side.run, program.Side.query = timed(plain_run), timed(plain_query)
    try:
        start = time.perf_counter()
        run_state_machine_as_test(
            build_machine(resolve_candidate(candidate_name), resolve_candidate("oracle"), None)
        )
        total = time.perf_counter() - start
    finally:
        program.Side.run, program.Side.query = plain_run, plain_query
    return spent["candidate"], spent["oracle"], total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--candidate", default="torch")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(
        f"registration suite, candidate {args.candidate}, python {sys.version.split()[0]}, "
        f"{os.cpu_count()} cpus; median of {args.repeat}"
    )
    for profile in ("ci",):
        for label, workers in (("serial", []), ("-n 2", ["-n", "2"])):
            times = [suite_wall_time(profile, workers, args.candidate) for _ in range(args.repeat)]
            print(f"  wall time, profile {profile}, {label:>6}: {statistics.median(times):6.2f} s")
    runs = [side_times(args.candidate) for _ in range(args.repeat)]
    cand, orac, total = (statistics.median(r[i] for r in runs) for i in range(3))
    print(
        f"  differential programs: {cand:.3f} s in {args.candidate}, {orac:.3f} s in the oracle "
        f"(oracle/candidate {orac / cand:.2f}x), {total:.3f} s in all "
        f"(harness and hypothesis: {total - cand - orac:.3f} s)"
    )


if __name__ == "__main__":
    main()
