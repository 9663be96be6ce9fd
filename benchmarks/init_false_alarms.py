"""False-alarm check of the nn.init statistical tests: run them against torch under many seeds.

Run from the checkout:
    python benchmarks/init_false_alarms.py [--runs 200] [--first-seed 0] [--candidate torch]

Each run is one pytest session (in this process) over the suites whose verdicts rest on random draws
(suites/test_init_distributions.py, suites/test_init_structured.py) with ``--hypothesis-seed N``, so the
drawn shapes, options and generator seeds differ from run to run exactly as they do for a user who passes
a seed. A correct candidate must pass every run; the script prints how many runs failed and which seeds.
Each statistical check is built for a false-alarm rate of at most 1e-9 (suites/support/init_stats.py),
so with ~200 checks per run a failure in 200 runs would point to a defect, not to bad luck.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

STATISTICAL_SUITES = ("suites/test_init_distributions.py", "suites/test_init_structured.py")


def one_run(seed: int, candidate: str, results: Path) -> tuple[int, str]:
    """Run the statistical suites once with ``--hypothesis-seed seed``: pytest's exit code and output."""
    import pytest

    out = io.StringIO()
    args = [
        "-q",
        "-p",
        "no:cacheprovider",
        "--rootdir",
        str(ROOT),
        "-c",
        str(ROOT / "pyproject.toml"),
        "--candidate",
        candidate,
        "--hypothesis-seed",
        str(seed),
        "--nnc-results",
        str(results),
        *(str(ROOT / s) for s in STATISTICAL_SUITES),
    ]
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        code = int(pytest.main(args))
    return code, out.getvalue()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--candidate", default="torch")
    args = parser.parse_args()
    os.chdir(ROOT)
    failed: list[int] = []
    last = args.first_seed + args.runs - 1
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        for seed in range(args.first_seed, last + 1):
            code, output = one_run(seed, args.candidate, Path(tmp) / f"run-{seed}.jsonl")
            if code != 0:
                failed.append(seed)
                print(f"seed {seed}: pytest exited {code}\n{output[-4000:]}", flush=True)
    elapsed = time.perf_counter() - started
    print(
        f"{args.runs} seeded runs (--hypothesis-seed {args.first_seed}..{last}) of "
        f"{', '.join(STATISTICAL_SUITES)} against {args.candidate}: {len(failed)} failed"
        + (f" (seeds {failed})" if failed else "")
        + f"; {elapsed:.0f} s"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
