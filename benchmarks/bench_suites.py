"""Benchmark of the whole conformance run: wall time, time per area, oracle against torch.

Run from the checkout:  python benchmarks/bench_suites.py [--profile ci] [--repeat 1] [--workers 2]

For each candidate (torch, then the oracle) it runs every suite serially and under pytest-xdist and
prints:
* the wall time of each run;
* per area, the summed duration of its clause tests (every test but the differential ones, which run
  the oracle as reference whatever the candidate), and the oracle's time over torch's: the same tests
  with the same examples, so the ratio is the cost of the candidate plus what the tests do around it;
* the start-up overhead: serial wall time minus the summed item durations (interpreter start, imports,
  collection, the plugin's end-of-run work).
Then, in this process, the differential tests that run generated programs step by step on both sides
(registration, containers, state_dict) against torch, timing every step inside torch and inside the
oracle on the same programs: the oracle/torch ratio of those steps, and the harness's share (item time
over the time inside both implementations).
Figures are for comparison across machines and commits; no test asserts on them.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from nnconform.results import read_results  # noqa: E402

AREAS = ("registration", "hooks", "state_dict", "apply", "containers", "init", "lazy")


def area_of(nodeid: str) -> str:
    name = nodeid.split("::", 1)[0].rsplit("/", 1)[-1]
    for area in AREAS:
        if name.startswith(f"test_{area}_"):
            return area
    return "other"


def run_suites(candidate: str, profile: str, workers: int) -> tuple[float, dict[str, float]]:
    """Wall time of one run of every suite, and the summed item durations per area."""
    with tempfile.TemporaryDirectory() as tmp:
        results = Path(tmp) / "results.jsonl"
        command = [
            sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
            "--candidate", candidate, "--hypothesis-profile", profile,
            "--nnc-results", str(results), "--nnc-no-report",
            *(["-n", str(workers)] if workers > 1 else []),
            "suites",
        ]
        start = time.perf_counter()
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=dict(os.environ))
        wall = time.perf_counter() - start
        if done.returncode != 0:
            raise SystemExit(f"suites failed ({' '.join(command)}):\n{done.stdout[-3000:]}")
        per_area: dict[str, float] = defaultdict(float)
        for item in read_results(results)[1]:
            per_area["(all items)"] += float(item.get("duration") or 0.0)
            # differential tests run the oracle as the reference whatever the candidate: left out, so
            # that the per-area figures time the candidate alone
            if "_differential.py" not in item["nodeid"]:
                per_area[area_of(item["nodeid"])] += float(item.get("duration") or 0.0)
    return wall, dict(per_area)


def median_run(candidate: str, profile: str, workers: int, repeat: int) -> tuple[float, dict[str, float]]:
    runs = [run_suites(candidate, profile, workers) for _ in range(repeat)]
    wall = statistics.median(r[0] for r in runs)
    areas = {a: statistics.median(r[1].get(a, 0.0) for r in runs) for a in runs[0][1]}
    return wall, areas


class SideTimer:
    """A pytest plugin that times ``Side.run``/``Side.query`` (one program step on one implementation)
    per area, split by which implementation the step ran on."""

    def __init__(self) -> None:
        self.inside: dict[tuple[str, str], float] = defaultdict(float)
        self.items: dict[str, float] = defaultdict(float)
        self.area = "other"

    def pytest_configure(self) -> None:
        from suites.support import program

        for name in ("run", "query"):
            setattr(program.Side, name, self._timed(getattr(program.Side, name)))

    def _timed(self, method):  # type: ignore[no-untyped-def]
        timer = self

        def timed(side, source):  # type: ignore[no-untyped-def]
            start = time.perf_counter()
            try:
                return method(side, source)
            finally:
                who = "oracle" if side.candidate.name == "oracle" else "torch"
                timer.inside[(timer.area, who)] += time.perf_counter() - start

        return timed

    def pytest_runtest_setup(self, item) -> None:  # type: ignore[no-untyped-def]
        self.area = area_of(item.nodeid)

    def pytest_runtest_logreport(self, report) -> None:  # type: ignore[no-untyped-def]
        self.items[area_of(report.nodeid)] += report.duration


def side_times(profile: str) -> SideTimer:
    import pytest

    timer = SideTimer()
    files = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "suites").glob("test_*_differential.py"))
    with tempfile.TemporaryDirectory() as tmp:
        code = pytest.main(
            ["-q", "-p", "no:cacheprovider", "--candidate", "torch", "--hypothesis-profile", profile,
             "--nnc-results", str(Path(tmp) / "r.jsonl"), "--nnc-no-report", *files],
            plugins=[timer],
        )
    if code != 0:
        raise SystemExit(f"differential suites failed (exit {code})")
    return timer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--profile", default="ci", help="hypothesis profile (ci, dev, thorough)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per measure; the median is printed")
    parser.add_argument("--workers", type=int, default=2, help="pytest-xdist workers of the parallel run")
    args = parser.parse_args()
    print(
        f"all suites, profile {args.profile}, python {sys.version.split()[0]}, {os.cpu_count()} cpus; "
        f"median of {args.repeat}"
    )
    serial: dict[str, tuple[float, dict[str, float]]] = {}
    for candidate in ("torch", "oracle"):
        serial[candidate] = median_run(candidate, args.profile, 1, args.repeat)
        parallel_wall, _ = median_run(candidate, args.profile, args.workers, args.repeat)
        wall, areas = serial[candidate]
        print(
            f"  {candidate:>6}: wall {wall:6.1f} s serial, {parallel_wall:6.1f} s with -n {args.workers}; "
            f"start-up overhead (serial wall - item time) {wall - areas['(all items)']:5.1f} s"
        )
    print("clause tests per area:")
    print(f"  {'area':<13}{'torch s':>9}{'oracle s':>10}{'oracle/torch':>14}")
    torch_areas, oracle_areas = serial["torch"][1], serial["oracle"][1]
    for area in [*AREAS, "other"]:
        if area not in torch_areas and area not in oracle_areas:
            continue
        t, o = torch_areas.get(area, 0.0), oracle_areas.get(area, 0.0)
        ratio = f"{o / t:.2f}x" if t else "-"
        print(f"  {area:<13}{t:9.2f}{o:10.2f}{ratio:>14}")
    os.chdir(ROOT)
    timer = side_times(args.profile)
    print("differential program steps on both sides (candidate torch):")
    print(f"  {'area':<13}{'torch s':>9}{'oracle s':>10}{'oracle/torch':>14}{'item s':>9}{'item/inside':>13}")
    for area in AREAS:
        t, o = timer.inside.get((area, "torch"), 0.0), timer.inside.get((area, "oracle"), 0.0)
        if not (t or o):
            continue
        item = timer.items.get(area, 0.0)
        print(f"  {area:<13}{t:9.2f}{o:10.2f}{o / t:13.2f}x{item:9.2f}{item / (t + o):12.2f}x")


if __name__ == "__main__":
    main()
